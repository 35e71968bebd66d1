"""The desktop app (PySide6 + pyqtgraph): a thin shell over sleepscorer.core and model."""

from sleepscorer.gui.qt_compat import protect_singletons

protect_singletons()  # before any Qt call: PySide6 6.12 + Python 3.11 refcount bug
