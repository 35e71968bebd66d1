"""The self-test's optional Qt check: PySide6 and pyqtgraph start and render offscreen.

Lives in the GUI package so the Qt-free core never imports Qt.
"""

from __future__ import annotations

import os

from sleepscorer.gui.backend import Check


def check_qt() -> Check:
    """PySide6 and pyqtgraph import and a plot renders on the offscreen platform.

    Uses QT_QPA_PLATFORM when set (the CLI sets `offscreen` when it is not).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        import pyqtgraph as pg
        from PySide6 import __version__ as pyside_version
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(["sleepscorer-selftest"])
        plot = pg.PlotWidget()
        plot.plot([0.0, 1.0, 0.5, 2.0])
        plot.resize(320, 200)
        image = plot.grab().toImage()
        plot.deleteLater()
        app.processEvents()
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        return Check("Qt (optional)", False, f"{type(exc).__name__}: {exc}")
    ok = not image.isNull() and image.width() > 0
    return Check("Qt (optional)", ok, f"PySide6 {pyside_version}, platform "
                                      f"{app.platformName()}, pyqtgraph {pg.__version__}")
