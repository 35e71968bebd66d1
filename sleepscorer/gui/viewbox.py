"""A ViewBox for scoring: x-only wheel zoom and drag pan; click, double-click and
Shift+drag (or any drag when `select_on_drag`) report epochs instead of moving the view.
On a trace track (`scalable`), Ctrl+wheel and a right click ask for a change of amplitude
scale (the y range is never moved by the mouse directly)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal


class ScoringViewBox(pg.ViewBox):
    clicked = Signal(float, bool)  # x in seconds, shift held
    doubleClicked = Signal(float)  # noqa: N815 (Qt naming)
    dragSelected = Signal(float, float, bool)  # noqa: N815  x0, x1, finished
    scaleWheel = Signal(float)  # noqa: N815  wheel steps with Ctrl held (+: larger traces)
    menuRequested = Signal(object)  # noqa: N815  the screen position of a right click

    def __init__(self, select_on_drag: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.select_on_drag = select_on_drag
        self.setMouseEnabled(x=True, y=False)
        self.setMenuEnabled(False)
        self.scalable = False

    def wheelEvent(self, ev, axis=None):  # noqa: N802
        if self.scalable and ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            ev.accept()
            self.scaleWheel.emit(ev.delta() / 120.0)
            return
        super().wheelEvent(ev, axis)

    def mouseClickEvent(self, ev):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            x = self.mapSceneToView(ev.scenePos()).x()
            if ev.double():
                self.doubleClicked.emit(x)
            else:
                shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.clicked.emit(x, shift)
        elif ev.button() == Qt.MouseButton.RightButton and self.scalable:
            ev.accept()
            self.menuRequested.emit(ev.screenPos())
        else:
            ev.ignore()

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() == Qt.MouseButton.LeftButton and (shift or self.select_on_drag):
            ev.accept()
            x0 = self.mapSceneToView(ev.buttonDownScenePos()).x()
            x1 = self.mapSceneToView(ev.scenePos()).x()
            self.dragSelected.emit(min(x0, x1), max(x0, x1), ev.isFinish())
            return
        if ev.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            # pan in x only, whatever the default mouse mode
            ev.accept()
            dif = self.mapToView(ev.lastPos()) - self.mapToView(ev.pos())
            self.translateBy(x=dif.x())
            self.sigRangeChangedManually.emit(self.state["mouseEnabled"])
            return
        ev.ignore()
