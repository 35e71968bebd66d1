"""Whole-recording hypnogram bar: every epoch's colour, a box around the visible window;
click anywhere to jump there, or drag the box."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from sleepscorer.gui.stage_strip import StageStrip
from sleepscorer.gui.time_axis import TimeAxis

MARK_BINS = 512  # stretches of the disagreement marks: each at least a pixel of a 512-px bar
MARK_RGBA = (213, 40, 40, 255)  # the red of the comparison band's marks


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
        self.marks = StageStrip(self.getPlotItem(), z=5)  # disagreements with compared labels
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

    def set_marks(self, marked: np.ndarray | None, epoch_length: float) -> None:
        """Red ticks along the top where any epoch of a stretch is marked (None: none).

        Why: a pixel of a day's bar holds about 100 epochs, and drawn one per epoch (or in
        stretches narrower than a pixel) an isolated disagreement fell between pixels; each of
        at most MARK_BINS stretches shows whether any of its epochs is marked."""
        if marked is None or not np.any(marked):
            self.marks.set(np.zeros((0, 4), np.uint8), epoch_length, 0.72, 0.28)
            return
        n = len(marked)
        bins = min(n, MARK_BINS)
        starts = np.linspace(0, n, bins + 1).astype(np.int64)[:-1]
        rgba = np.zeros((bins, 4), np.uint8)
        rgba[np.add.reduceat(np.asarray(marked, np.int64), starts) > 0] = MARK_RGBA
        self.marks.set(rgba, n * epoch_length / bins, 0.72, 0.28)

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
