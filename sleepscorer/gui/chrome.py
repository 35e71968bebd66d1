"""Window chrome shared by the main window: docks that scroll, and a title that says in
words what is not exported."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QMainWindow, QScrollArea, QWidget


def titled(window: QMainWindow, name: str, changed: bool) -> None:
    """The title says when labels changed since the last export; every change is already
    kept by the app, so Qt's "*" (read as unsaved work) would say the wrong thing."""
    window.setWindowTitle(f"SleepScorer - {name}" + (" (changes not exported)" if changed else ""))


def scrolling(widget: QWidget) -> QScrollArea:
    """`widget` in a vertical scroll area, so a short screen scrolls the dock instead of
    forcing the window taller than the screen (the statistics panel needs ~650 px)."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
