"""EEG spectrogram track: power 0-30 Hz per epoch as an image, time-aligned with the traces."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from sleepscorer.gui.time_axis import TimeAxis
from sleepscorer.gui.viewbox import ScoringViewBox


class SpectrogramPlot(pg.PlotItem):
    def __init__(self, **kwargs):
        super().__init__(viewBox=ScoringViewBox(), axisItems={"bottom": TimeAxis()}, **kwargs)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.addItem(self.image)
        self.setLabel("left", "EEG Hz")
        self.getAxis("left").setTicks([[(0, "0"), (10, "10"), (20, "20"), (30, "30")]])
        self.hideButtons()
        self.setYRange(0, 30, padding=0)

    def set_spectrogram(self, freqs: np.ndarray, power: np.ndarray, epoch_length: float) -> None:
        """`power` is (n_epochs, n_freqs) in dB. Each frequency is shown relative to its own
        median over the recording, so state changes (delta in NREM, theta in REM) stand out
        instead of the 1/f slope; colour levels ignore the extreme 2%."""
        if power.size == 0:
            self.image.clear()
            return
        power = power - np.nanmedian(power, axis=0, keepdims=True)
        finite = power[np.isfinite(power)]
        lo, hi = np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0)
        step = freqs[1] - freqs[0] if len(freqs) > 1 else 1.0
        self.image.setImage(np.ascontiguousarray(power.T), levels=(lo, hi), autoLevels=False)
        self.image.setRect(0, -step / 2, power.shape[0] * epoch_length, len(freqs) * step)
        self.setYRange(0, float(freqs[-1]), padding=0)

    def clear_spectrogram(self) -> None:
        self.image.clear()
