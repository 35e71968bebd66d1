"""The desktop app (PySide6 + pyqtgraph): a thin shell over sleepscorer.core and model."""
