"""Whole-recording hypnogram bar: every epoch's colour, a box around the visible window;
click anywhere to jump there, or drag the box."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from sleepscorer.gui.stage_strip import StageStrip
from sleepscorer.gui.time_axis import TimeAxis


class _JumpViewBox(pg.ViewBox):
    jump = Signal(float)

    def __init__(self):
        super().__init__(enableMouse=False, enableMenu=False)

    def mouseClickEvent(self, ev):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.jump.emit(self.mapSceneToView(ev.scenePos()).x())

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.jump.emit(self.mapSceneToView(ev.scenePos()).x())


class OverviewBar(pg.PlotWidget):
    jumpRequested = Signal(float)  # noqa: N815  seconds to centre on
    windowMoved = Signal(float, float)  # noqa: N815  new visible [t0, t1] after dragging the box

    def __init__(self, parent=None):
        vb = _JumpViewBox()
        super().__init__(parent, viewBox=vb, axisItems={"bottom": TimeAxis()}, background="w")
        vb.jump.connect(self.jumpRequested.emit)
        self.setFixedHeight(62)
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.getAxis("left").setWidth(64)
        plot.getAxis("left").setTicks([[]])
        plot.setLabel("left", "all")
        self.strip = StageStrip(self.getPlotItem())
        self.box = pg.LinearRegionItem(brush=pg.mkBrush(0, 0, 0, 30),
                                       pen=pg.mkPen("#D55E00", width=2))
        self.box.setZValue(10)
        self.addItem(self.box)
        self.box.sigRegionChangeFinished.connect(self._box_moved)
        self._updating = False
        self.duration = 1.0
        self.setYRange(0, 1, padding=0)

    def set_labels(self, rgba: np.ndarray, epoch_length: float, duration: float) -> None:
        """`rgba` is (n_epochs, 4) as drawn in the hypnogram strip."""
        self.duration = max(duration, 1e-6)
        self.strip.set(rgba, epoch_length, 0, 1)
        self.setXRange(0, self.duration, padding=0)
        self.setYRange(0, 1, padding=0)

    def update_labels(self, rgba_slice: np.ndarray, start: int) -> None:
        self.strip.update(rgba_slice, start)

    def show_window(self, t0: float, t1: float) -> None:
        self._updating = True
        self.box.setRegion((max(0.0, t0), min(self.duration, t1)))
        self._updating = False

    def _box_moved(self) -> None:
        if not self._updating:
            t0, t1 = self.box.getRegion()
            self.windowMoved.emit(float(t0), float(t1))
