"""EEG spectrogram track: log power 0-30 Hz in overlapping 4-s windows, time-aligned with
the traces, coloured with limits taken from the whole recording (core/display.py)."""

from __future__ import annotations

import pyqtgraph as pg

from sleepscorer.gui import backend
from sleepscorer.gui.time_axis import TimeAxis
from sleepscorer.gui.viewbox import ScoringViewBox


class SpectrogramPlot(pg.PlotItem):
    def __init__(self, **kwargs):
        super().__init__(viewBox=ScoringViewBox(), axisItems={"bottom": TimeAxis()}, **kwargs)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("inferno"))
        self.addItem(self.image)
        self.setLabel("left", "EEG Hz")
        self.getAxis("left").setTicks([[(0, "0"), (10, "10"), (20, "20"), (30, "30")]])
        self.hideButtons()
        self.setYRange(0, 30, padding=0)

    def set_spectrogram(self, spec: backend.Spectrogram) -> None:
        """Column k covers seconds [k, k+1) * step; row j is centred on freqs[j]."""
        if spec.power.size == 0:
            self.image.clear()
            return
        freqs = spec.freqs
        df = float(freqs[1] - freqs[0]) if len(freqs) > 1 else 1.0
        self.image.setImage(spec.power.T, levels=spec.levels, autoLevels=False)
        self.image.setRect(0, float(freqs[0]) - df / 2, spec.power.shape[0] * spec.step_s,
                           len(freqs) * df)
        self.setYRange(float(freqs[0]) - df / 2, float(freqs[-1]) + df / 2, padding=0)

    def clear_spectrogram(self) -> None:
        self.image.clear()
