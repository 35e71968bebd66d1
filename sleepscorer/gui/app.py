"""Start the desktop app: QApplication, icon, main window, optional recording to open."""

from __future__ import annotations

import sys
from pathlib import Path

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


def prewarm_model() -> None:
    """Import the model stack (torch) now. Importing torch holds the GIL for up to a few
    hundred ms at a time; doing it in the background at start-up keeps that pause away from
    the moment a user is scoring."""
    try:
        import model.inference  # noqa: F401
    except Exception:  # noqa: BLE001 - scoring will report the problem when asked
        pass


def open_window(path: str | Path | None = None):
    """The main window, shown, opening `path` (recording file or folder) if given."""
    import threading

    from sleepscorer.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    threading.Thread(target=prewarm_model, name="prewarm-model", daemon=True).start()
    if path is not None:
        window.files.open_path(Path(path))
    return window


def run(path: str | Path | None = None) -> int:
    app = create_app()
    window = open_window(path)  # noqa: F841 (kept alive until the loop ends)
    return app.exec()


def demo_path() -> Path:
    from sleepscorer.resources import resource_path

    return resource_path("demo", "openephys-mouse-29min")
