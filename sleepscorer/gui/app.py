"""Start the desktop app: QApplication, icon, main window, optional recording to open."""

from __future__ import annotations

import sys
from pathlib import Path

import shiboken6
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication


def app_icon() -> QIcon:
    from sleepscorer.resources import resource_path

    icon = QIcon()
    for name in ("sleepscorer.svg", "sleepscorer.png"):
        path = resource_path("icons", name)
        if path.exists():
            icon.addFile(str(path))
    return icon


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=False, useOpenGL=False)
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setOrganizationName("SleepScorer")
        app.setApplicationName("SleepScorer")
        app.setWindowIcon(app_icon())
    return app


def open_window(path: str | Path | None = None):
    """The main window, shown, opening `path` (recording file or folder) if given."""
    from sleepscorer.gui.main_window import MainWindow
    from sleepscorer.gui.workers import Task, prewarm_model

    window = MainWindow()
    window.show()
    # import torch in the background now, so its pause does not fall on a user's scoring
    window.prewarm = Task("Preparing the model", prewarm_model)  # kept by the window
    window.prewarm.start()
    if path is not None:
        window.files.open_path(Path(path))
    return window


def run(path: str | Path | None = None) -> int:
    app = create_app()
    window = open_window(path)
    status = app.exec()
    # the window (saved by its closeEvent) goes while QApplication still lives: left to the
    # interpreter's teardown, Qt objects die in arbitrary order and can crash the process
    shiboken6.delete(window)
    return status


def demo_path() -> Path:
    from sleepscorer.resources import resource_path

    return resource_path("demo", "openephys-mouse-29min")
