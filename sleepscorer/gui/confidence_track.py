"""Model confidence per epoch (0-1) with the low-confidence threshold as a dashed line.

Decimated like the traces: for the visible span only, the mean (dark) and minimum (light)
of the epochs under each pixel (core/display.confidence_envelope)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from sleepscorer.gui import backend
from sleepscorer.gui.time_axis import TimeAxis
from sleepscorer.gui.viewbox import ScoringViewBox


class ConfidencePlot(pg.PlotItem):
    def __init__(self, threshold: float = 0.6, **kwargs):
        super().__init__(viewBox=ScoringViewBox(), axisItems={"bottom": TimeAxis()}, **kwargs)
        self.low_curve = pg.PlotDataItem(pen=pg.mkPen("#9a9a9a", width=1))
        self.curve = pg.PlotDataItem(pen=pg.mkPen("#222222", width=1))  # decimated by redraw
        self.addItem(self.low_curve)
        self.addItem(self.curve)
        self.values = np.empty(0, np.float32)
        self.epoch_length = 1.0
        self._span = (0.0, 1.0, 1000)
        self.threshold = pg.InfiniteLine(threshold, angle=0,
                                         pen=pg.mkPen("#D55E00", style=Qt.PenStyle.DashLine))
        self.addItem(self.threshold)
        self.setLabel("left", "conf.")
        self.getAxis("left").setTicks([[(0, "0"), (0.5, ".5"), (1, "1")]])
        self.setYRange(0, 1.12, padding=0)  # a certain epoch (1.0) clear of the track above
        self.hideButtons()

    def set_confidence(self, confidence: np.ndarray, epoch_length: float) -> None:
        """NaN (no model label, or a person's label) is drawn as a gap."""
        self.values = np.asarray(confidence, np.float32)
        self.epoch_length = float(epoch_length)
        self.redraw(*self._span)

    def redraw(self, t0: float, t1: float, n_pixels: int) -> None:
        """Draw [t0, t1] on `n_pixels` columns (called whenever the view moves)."""
        self._span = (t0, t1, n_pixels)
        x, mean, low = backend.confidence_envelope(confidence=self.values,
                                                   epoch_length=self.epoch_length,
                                                   t0=t0, t1=t1, n_pixels=n_pixels)
        self.curve.setData(x, mean.astype(float), connect="finite")
        self.low_curve.setData(x, low.astype(float), connect="finite")
        self.low_curve.setVisible(bool(len(x)) and not np.array_equal(mean, low,
                                                                      equal_nan=True))

    def set_threshold(self, value: float) -> None:
        self.threshold.setValue(value)
