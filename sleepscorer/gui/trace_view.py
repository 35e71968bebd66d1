"""The scoring view: hypnogram strip, EEG/EMG (and extra) traces with stage colour bands,
EEG spectrogram and model confidence, all on one shared time axis.

Traces are redrawn from min/max pyramids (core/display.py) for the visible span only, so
any zoom on a 24 h recording costs a few milliseconds. Each track's amplitude scale is fixed
for the recording (gui/track_scale.py): scrolling never rescales it. Stage colours are
one-row images (one pixel per epoch), updated in place on every edit.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QFont

from sleepscorer.gui import backend
from sleepscorer.gui.confidence_track import ConfidencePlot
from sleepscorer.gui.elided_text import elided_middle
from sleepscorer.gui.spectrogram_view import SpectrogramPlot
from sleepscorer.gui.stage_strip import StageStrip
from sleepscorer.gui.time_axis import TimeAxis
from sleepscorer.gui.track_scale import TrackScales
from sleepscorer.gui.viewbox import ScoringViewBox
from sleepscorer.gui.workers import THIN_PERCENTILES, TRACE_PERCENTILES, LoadedRecording
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage

AXIS_WIDTH = 64
# dark grey, one cosmetic pixel, for samples; a lighter grey for the min/max envelope of a
# zoomed-out view, so hours of EEG read as an amplitude band rather than a black block
TRACE_PEN = {"EEG": (45, 45, 45, 220), "EMG": (60, 60, 60, 220), "other": (90, 90, 90, 220)}
ENVELOPE_PEN = {"EEG": (105, 105, 105, 200), "EMG": (115, 115, 115, 200),
                "other": (120, 120, 120, 220)}
ENVELOPE_FROM = 16  # samples per pixel above which the envelope pen is used
BAND_OPACITY = 0.28


class TraceView(pg.GraphicsLayoutWidget):
    """Signals carry seconds; the window turns them into epochs through the session."""

    clicked = Signal(float, bool)
    doubleClicked = Signal(float)  # noqa: N815
    dragSelected = Signal(float, float, bool)  # noqa: N815
    rangeChanged = Signal(float, float)  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.ci.layout.setSpacing(2)
        self.plots: list[pg.PlotItem] = []
        self.curves: dict[str, pg.PlotCurveItem] = {}
        self.trace_plots: dict[str, pg.PlotItem] = {}
        self.pyramids = {}
        self.bands: list[StageStrip] = []
        self.selections: list[pg.LinearRegionItem] = []
        self.lut = backend.stage_palette()
        self.duration = 1.0
        self.epoch_length = 1.0
        self._rgba = np.zeros((0, 4), np.uint8)
        self.hypno = self._add_plot(select_on_drag=True, height=34)
        self.hypno.setLabel("left", "stage")
        self.hypno.getAxis("left").setTicks([[]])
        self.hypno.setYRange(0, 1.35, padding=0)
        self.strip = StageStrip(self.hypno)
        self.expert_strip = StageStrip(self.hypno)
        self.spectrogram: SpectrogramPlot | None = None
        self.confidence: ConfidencePlot | None = None
        self.compare_plot: pg.PlotItem | None = None  # a second labels file, and disagreements
        self.scales = TrackScales(lambda name: self.curves[name].yData, _range_changed)
        self.hypno.vb.sigXRangeChanged.connect(self._x_changed)

    # -- building ---------------------------------------------------------------------
    def _add_plot(self, plot: pg.PlotItem | None = None, select_on_drag: bool = False,
                  height: int | None = None) -> pg.PlotItem:
        if plot is None:
            plot = pg.PlotItem(viewBox=ScoringViewBox(select_on_drag=select_on_drag),
                               axisItems={"bottom": TimeAxis()})
            plot.hideButtons()
        vb: ScoringViewBox = plot.vb
        vb.clicked.connect(self.clicked.emit)
        vb.doubleClicked.connect(self.doubleClicked.emit)
        vb.dragSelected.connect(self.dragSelected.emit)
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        plot.hideAxis("bottom")
        plot.setClipToView(True)
        if self.plots:
            plot.setXLink(self.plots[0])
        region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(20, 20, 20, 40),
                                     pen=pg.mkPen(0, 0, 0, 150, width=1))
        region.setZValue(20)
        plot.addItem(region, ignoreBounds=True)
        self.selections.append(region)
        row = len(self.plots)
        self.addItem(plot, row=row, col=0)
        if height is not None:
            plot.setMaximumHeight(height)
            plot.setMinimumHeight(height)
        self.ci.layout.setRowStretchFactor(row, 0 if height is not None else 10)
        self.plots.append(plot)
        return plot

    def _clear_tracks(self) -> None:
        for plot in self.plots[1:]:
            self.removeItem(plot)
        del self.plots[1:], self.selections[1:]
        self.curves.clear()
        self.trace_plots.clear()
        self.bands.clear()
        self.scales.clear()
        self.compare_plot = None

    def set_recording(self, loaded: LoadedRecording, hyp: Hypnogram) -> None:
        """Build one track per channel (EEG and EMG tall, others thin), then the
        spectrogram and confidence tracks."""
        self._clear_tracks()
        rec = loaded.recording
        self.pyramids = loaded.pyramids
        self.epoch_length = hyp.epoch_length
        self.duration = float(rec.duration_s)
        order = sorted(rec.channels, key=lambda c: {"EEG": 0, "EMG": 1}.get(c.kind.value, 2))
        for channel in order:
            thin = channel.kind.value == "other"
            plot = self._add_plot(height=60 if thin else None)
            plot.setMinimumHeight(40 if thin else 90)
            plot.thin = thin
            set_axis_title(plot, channel.name, channel.unit, thin=thin,
                           peak=backend.signal_peak(data=channel.data) if thin else 0.0)
            kind = channel.kind.value if channel.kind.value in TRACE_PEN else "other"
            curve = pg.PlotCurveItem(pen=pg.mkPen(TRACE_PEN[kind], width=0),
                                     skipFiniteCheck=True)
            curve.pens = (pg.mkPen(TRACE_PEN[kind], width=0),
                          pg.mkPen(ENVELOPE_PEN[kind], width=0))
            curve.envelope = False
            plot.addItem(curve)
            self.curves[channel.name] = curve
            self.trace_plots[channel.name] = plot
            plot.band = StageStrip(plot, z=-10, opacity=BAND_OPACITY)
            self.bands.append(plot.band)
            # one scale for the whole recording (computed by the loader), changed only by hand
            home = self.pyramids[channel.name].robust_range(
                *(THIN_PERCENTILES if thin else TRACE_PERCENTILES))
            self.scales.add(channel.name, plot, home)
        self.spectrogram = SpectrogramPlot()
        self._add_plot(self.spectrogram, height=110)
        if loaded.spectrogram is not None:
            self.spectrogram.set_spectrogram(loaded.spectrogram)
        self.confidence = ConfidencePlot()
        self._add_plot(self.confidence, height=70)
        self.confidence.showAxis("bottom")
        for plot in self.plots:
            plot.vb.setLimits(xMin=0, xMax=max(self.duration, 1.0),
                              minXRange=min(1.0, self.duration))
        self.set_hypnogram(hyp)
        # the layout keeps the size it had when empty until the next resize: fill the view
        self.ci.setGeometry(QRectF(self.rect()))
        self._x_changed()  # draw now: the next range may equal the last recording's

    # -- hypnogram colours -----------------------------------------------------------
    def set_palette(self, colours: dict[Stage, str]) -> None:
        self.lut = backend.stage_palette(colours=colours)

    def set_hypnogram(self, hyp: Hypnogram) -> None:
        person = hyp.is_person_labelled()
        self._rgba = backend.stage_rgba(stages=hyp.stages, person=person, lut=self.lut)
        el = hyp.epoch_length
        self.strip.set(self._rgba, el, 0, 1)
        self.expert_strip.set(self._marker(person), el, 1.08, 0.27)
        for band in self.bands:
            band.set(self._solid(self._rgba), el, band.y, band.height)
        if self.confidence is not None:
            self.confidence.set_confidence(hyp.confidence, el)

    def update_labels(self, hyp: Hypnogram, start: int, stop: int) -> None:
        """Recolour epochs [start, stop) after an edit."""
        if len(self._rgba) != len(hyp):
            self.set_hypnogram(hyp)
            return
        person = hyp.is_person_labelled()[start:stop]
        rgba = backend.stage_rgba(stages=hyp.stages[start:stop], person=person, lut=self.lut)
        self._rgba[start:stop] = rgba
        self.strip.update(rgba, start)
        self.expert_strip.update(self._marker(person), start)
        for band in self.bands:
            band.update(self._solid(rgba), start)
        if self.confidence is not None:
            self.confidence.set_confidence(hyp.confidence, hyp.epoch_length)

    # -- a second scoring to compare with ---------------------------------------------
    def set_comparison(self, other: Hypnogram | None, name: str = "",
                       disagree: np.ndarray | None = None) -> None:
        """Show `other` (same epochs) as a second band under the tracks, with a red mark
        over each epoch where it disagrees; None removes it."""
        if other is None:
            if self.compare_plot is not None:
                self.removeItem(self.compare_plot)
                i = self.plots.index(self.compare_plot)
                del self.plots[i], self.selections[i]
                self.compare_plot = None
            return
        if self.compare_plot is None:
            plot = self._add_plot(height=34)
            plot.setYRange(0, 1.35, padding=0)
            plot.getAxis("left").setTicks([[]])
            plot.vb.setLimits(xMin=0, xMax=max(self.duration, 1.0),
                              minXRange=min(1.0, self.duration))
            plot.compare_strip = StageStrip(plot)
            plot.disagree_strip = StageStrip(plot)
            self.compare_plot = plot
        plot = self.compare_plot
        _band_title(plot, name)
        el = other.epoch_length
        plot.compare_strip.set(backend.stage_rgba(stages=other.stages,
                                                  person=other.is_person_labelled(),
                                                  lut=self.lut), el, 0, 1)
        self.set_disagreements(np.zeros(len(other), bool) if disagree is None else disagree)

    def set_disagreements(self, disagree: np.ndarray) -> None:
        if self.compare_plot is None:
            return
        marks = np.zeros((len(disagree), 4), np.uint8)
        marks[disagree] = (213, 40, 40, 255)
        self.compare_plot.disagree_strip.set(marks, self.epoch_length, 1.08, 0.27)

    @staticmethod
    def _marker(person: np.ndarray) -> np.ndarray:
        marker = np.zeros((len(person), 4), np.uint8)
        marker[person] = (30, 30, 30, 255)
        return marker

    @staticmethod
    def _solid(rgba: np.ndarray) -> np.ndarray:
        """Bands behind traces use full stage colours (their opacity does the fading)."""
        solid = rgba.copy()
        solid[:, 3] = np.where(solid[:, 3] > 0, 255, 0)
        return solid

    @property
    def rgba(self) -> np.ndarray:
        """(n_epochs, 4) colours as in the hypnogram strip."""
        return self._rgba

    # -- selection and range ---------------------------------------------------------
    def set_selection(self, start: int, stop: int) -> None:
        region = (start * self.epoch_length, stop * self.epoch_length)
        for item in self.selections:
            item.setRegion(region)

    def set_x_range(self, t0: float, t1: float) -> None:
        before = self.x_range()
        self.hypno.vb.setXRange(t0, t1, padding=0)
        if self.x_range() == before:  # no range signal comes: new curves still need data
            self._x_changed()

    def x_range(self) -> tuple[float, float]:
        (t0, t1), _ = self.hypno.vb.viewRange()
        return float(t0), float(t1)

    def centre_on(self, seconds: float) -> None:
        t0, t1 = self.x_range()
        half = (t1 - t0) / 2
        self.set_x_range(seconds - half, seconds + half)

    def _x_changed(self, _vb=None, _range=None) -> None:
        t0, t1 = self.x_range()
        self.redraw_traces(t0, t1)
        self.rangeChanged.emit(t0, t1)

    def redraw_traces(self, t0: float, t1: float) -> None:
        if not self.plots:
            return
        pixels = max(100, int(self.hypno.vb.width()))
        if self.confidence is not None:
            self.confidence.redraw(t0, t1, pixels)
        for name, curve in self.curves.items():
            pyramid = self.pyramids[name]
            x, y = pyramid.segment(t0, t1, pixels)
            envelope = (t1 - t0) * pyramid.rate / pixels > ENVELOPE_FROM
            if envelope != curve.envelope:
                curve.envelope = envelope
                curve.setPen(curve.pens[envelope])
            curve.setData(x, y)


def _range_changed(plot: pg.PlotItem, lo: float, hi: float) -> None:
    """A track's scale changed: the stage band fills it again, a thin track's ticks follow."""
    plot.band.set_y(lo, hi - lo)
    if plot.thin:
        _thin_ticks(plot, lo, hi)


def _band_title(plot: pg.PlotItem, name: str) -> None:
    """The comparison band's file name, written across its axis (a 34-px band has no room
    for it upright) and cut in the middle, so the start and the extension both show; the
    whole name is the tooltip."""
    font = QFont()
    font.setPointSize(7)
    axis = plot.getAxis("left")
    axis.setStyle(tickFont=font, tickLength=0)
    axis.setTicks([[(0.55, elided_middle(font, name, AXIS_WIDTH - 6))], []])
    for item in (plot, axis):
        item.setToolTip(f"second labels: {name}")


def _thin_ticks(plot: pg.PlotItem, lo: float, hi: float) -> None:
    """Room for two labels only: the centre +- a round amplitude, in the unit shown (a
    trigger held in µV and shown in V reads 1 and 3, not 1e+06 and 3e+06: ticks set by hand
    are placed in held values but labelled as written). They carry the unit when the
    title had no room for it."""
    axis = plot.getAxis("left")
    scale = axis.scale or 1.0  # held value -> number shown (set_axis_title)
    lo, hi = sorted((lo * scale, hi * scale))
    step = _round_down((hi - lo) / 2 * 0.8)
    centre = _round_down(abs((lo + hi) / 2), step) * np.sign(lo + hi)
    unit = getattr(plot, "tick_unit", "")
    axis.setTicks([[(v / scale, f"{v:g}{unit}") for v in (centre - step, centre + step)], []])


def set_axis_title(plot: pg.PlotItem, name: str, unit: str | None, thin: bool = False,
                   peak: float = 0.0) -> None:
    """The channel name and its real unit, with readable ticks: a signal stored in µV, mV or
    V is shown in volts scaled by its prefix, and the axis then picks the prefix that suits
    the visible amplitude ("EEG1 (µV)" with ticks 50, 100; never "mmV" or "kuV", never
    5e-05). Other units are shown as stored, unscaled.

    Thin tracks (extra channels, 40-60 px) get a smaller title cut to fit their height, so
    titles of neighbouring tracks never overlap; the whole title is the tooltip. Their prefix is
    chosen once from the signal's `peak`: a 4.6 V trigger read into µV showed ticks of 3e+06."""
    axis = plot.getAxis("left")
    unit = (unit or "").strip()
    scale = backend.volts_per_unit(unit=unit)
    if scale is not None and not thin:
        axis.setScale(scale)  # data in prefixed volts -> axis in volts, auto prefix
        axis.enableAutoSIPrefix(True)
        plot.setLabel("left", name, units="V")
        axis.setToolTip(f"{name} ({unit})")
        return
    axis.enableAutoSIPrefix(False)
    factor, shown = backend.shown_unit(unit=unit, peak=peak)  # as `sleepscorer info` says
    axis.setScale(factor)
    title = f"{name} ({shown})" if shown else name
    axis.setToolTip(title)
    if thin:  # a title too long for the unit leaves it to the ticks (and the tooltip)
        limit = 9
        text = next((t for t in (title, name) if len(t) <= limit), name[: limit - 1] + "…")
        plot.tick_unit = f" {shown}" if shown and text != title else ""  # said on its ticks
        colour = axis.textPen().color().name()  # a style of our own loses the axis's grey
        plot.setLabel("left", text, **{"font-size": "7pt", "color": colour})
    else:
        plot.setLabel("left", title)


def _round_down(value: float, unit: float | None = None) -> float:
    """`value` rounded down to a multiple of `unit`, or to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 0.0
    if unit:
        return float(np.floor(value / unit) * unit)
    power = 10.0 ** np.floor(np.log10(value))
    return float(max(m for m in (1, 2, 5) if m * power <= value) * power)
