"""Model confidence per epoch (0-1) with the low-confidence threshold as a dashed line."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from sleepscorer.gui.time_axis import TimeAxis
from sleepscorer.gui.viewbox import ScoringViewBox


class ConfidencePlot(pg.PlotItem):
    def __init__(self, threshold: float = 0.6, **kwargs):
        super().__init__(viewBox=ScoringViewBox(), axisItems={"bottom": TimeAxis()}, **kwargs)
        self.curve = pg.PlotDataItem(pen=pg.mkPen("#222222", width=1))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.addItem(self.curve)
        self.threshold = pg.InfiniteLine(threshold, angle=0,
                                         pen=pg.mkPen("#D55E00", style=Qt.PenStyle.DashLine))
        self.addItem(self.threshold)
        self.setLabel("left", "conf.")
        self.getAxis("left").setTicks([[(0, "0"), (0.5, ".5"), (1, "1")]])
        self.setYRange(0, 1.02, padding=0)
        self.hideButtons()

    def set_confidence(self, confidence: np.ndarray, epoch_length: float) -> None:
        """NaN (no model label, or a person's label) is drawn as a gap."""
        x = (np.arange(len(confidence)) + 0.5) * epoch_length
        self.curve.setData(x, confidence.astype(float), connect="finite")

    def set_threshold(self, value: float) -> None:
        self.threshold.setValue(value)
