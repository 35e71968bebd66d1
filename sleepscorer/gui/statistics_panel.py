"""Dock contents: time in each state, bouts, transitions, latencies, light/dark and per-state
EEG power spectra of the current hypnogram, with a small bar plot of time per state and
CSV export (its per-hour bins from the recording's start, or on clock hours when the start
time is known and the box is ticked). Recomputed shortly after edits stop, by backend.compute_statistics (core/statistics, the
function `sleepscorer stats` uses too)."""

from __future__ import annotations

import logging

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sleepscorer.gui import backend
from sleepscorer.gui.workers import Task
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import STAGE_COLORS, Stage

ASYNC_FROM_EPOCHS = 20_000  # longer hypnograms are summarised in a worker thread
log = logging.getLogger(__name__)


def _compute(*, task: Task, **options):
    return backend.compute_statistics(**options)


def duration_text(seconds: float) -> str:
    """h:mm:ss for every row of the time column, so one column has one unit ("11.33 h" beside
    "93.8 min" misread) and 2 s is not "0.0 min"; tenths of a second only where there are
    some (0.5-s or 2.5-s epochs)."""
    tenths = int(round(seconds * 10))
    whole, tenth = divmod(tenths, 10)
    text = f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{text}.{tenth}" if tenth else text


class StatisticsPanel(QWidget):
    exportRequested = Signal()  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hypnogram: Hypnogram | None = None
        self.stats: backend.SleepStatistics | None = None
        self.start_time = None  # the recording's clock time at epoch 0
        self._generation = 0
        self._workers: set = set()
        self.other: Hypnogram | None = None  # a second scoring to compare with
        self.other_name = ""
        self.spectrogram = None  # core/display.Spectrogram of the EEG
        self.colours = dict(STAGE_COLORS)
        self.stages: tuple[Stage, ...] = (Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA,
                                          Stage.ARTIFACT)
        layout = QVBoxLayout(self)
        self._build_time_plot(layout)
        self._build_tables(layout)
        self._build_labels(layout)
        self._build_spectra(layout)
        self.clock_hours = QCheckBox("Per-hour bins on clock hours")
        self.clock_hours.setEnabled(False)  # until a start time is known
        self.clock_hours.toggled.connect(self.refresh)
        layout.addWidget(self.clock_hours)
        export = QPushButton("Export statistics (CSV or JSON)...")
        export.clicked.connect(self.exportRequested.emit)
        layout.addWidget(export)
        layout.addStretch(1)
        self._timer = QTimer(self, singleShot=True, interval=300)
        self._timer.timeout.connect(self.refresh)

    def _build_time_plot(self, layout: QVBoxLayout) -> None:
        """A fixed, non-interactive glance at time per state; the table holds the figures."""
        self.plot = pg.PlotWidget(background="w")
        self.plot.setFixedHeight(130)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "% scored")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.plot.addItem(self.bars)
        layout.addWidget(self.plot)

    def _build_tables(self, layout: QVBoxLayout) -> None:
        """Read-only tables: the figures come from the hypnogram, not from typing here."""
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["h:mm:ss", "%", "bouts", "mean (s)"])
        self.table.horizontalHeaderItem(0).setToolTip("time in the state (hours:minutes:seconds)")
        self.table.horizontalHeaderItem(3).setToolTip("mean bout length in seconds")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        layout.addWidget(QLabel("transitions (row = from, column = to)"))
        self.transitions = QTableWidget(0, 0)
        self.transitions.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.transitions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.transitions)

    def _build_labels(self, layout: QVBoxLayout) -> None:
        """Latencies always; the comparison only once a second scoring is loaded."""
        self.latency = QLabel("")
        self.latency.setWordWrap(True)
        layout.addWidget(self.latency)
        self.comparison = QLabel("")
        self.comparison.setStyleSheet("font-family: monospace")
        self.comparison.setWordWrap(True)  # its long lines widened the dock and cut the tables
        self.comparison.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.comparison.setVisible(False)
        layout.addWidget(self.comparison)
        self.stimulation = QLabel("")  # only when the recording has a trigger channel
        self.stimulation.setWordWrap(True)
        self.stimulation.setVisible(False)
        layout.addWidget(self.stimulation)
        self.trains = None

    def _build_spectra(self, layout: QVBoxLayout) -> None:
        """Fixed dB and Hz axes: pyqtgraph's automatic SI prefixes would rescale the units."""
        self.spectra = pg.PlotWidget(background="w")
        self.spectra.setFixedHeight(160)
        self.spectra.setMouseEnabled(False, False)
        self.spectra.hideButtons()
        self.spectra.setLabel("left", "EEG power (dB)")
        self.spectra.setLabel("bottom", "frequency (Hz)")
        self.spectra.getAxis("left").enableAutoSIPrefix(False)
        self.spectra.getAxis("bottom").enableAutoSIPrefix(False)
        self.spectra_legend = self.spectra.addLegend(offset=(-5, 5), labelTextSize="7pt")
        self.spectra_items: dict[Stage, tuple] = {}
        layout.addWidget(self.spectra)

    def set_hypnogram(self, hyp: Hypnogram | None, start_time=None, spectrogram=None) -> None:
        self.hypnogram = hyp
        self.start_time = start_time
        self.spectrogram = spectrogram
        known = start_time is not None
        self.clock_hours.setEnabled(known)
        self.clock_hours.setToolTip(
            "the export's time in each state per hour: from clock hour to clock hour (the first "
            "and last bins partial) instead of hours from the recording's start" if known else
            "the recording's start time is not known: per-hour bins run from its start")
        self.refresh()

    def _clock_hours(self) -> bool:
        return self.start_time is not None and self.clock_hours.isChecked()

    def states_shown(self) -> tuple[Stage, ...]:
        present = set(np.unique(self.hypnogram.stages).tolist())
        return tuple(s for s in Stage if s != Stage.UNSCORED
                     and (s in self.stages or int(s) in present))  # used, or in the labels

    def compute(self) -> backend.SleepStatistics | None:
        """The figures shown here (and exported): one call of backend.compute_statistics."""
        if self.hypnogram is None:
            return None
        return backend.compute_statistics(hypnogram=self.hypnogram, states=self.states_shown(),
                                          start_time=self.start_time,
                                          spectrogram=self.spectrogram,
                                          clock_hours=self._clock_hours())

    def schedule_refresh(self, *_args) -> None:
        self._timer.start()

    def refresh(self) -> None:
        """Recompute and show. Long recordings are computed in a worker thread (a 24 h day
        with spectra takes ~0.1-0.3 s), so an edit pause never stalls the window; the
        newest request wins."""
        if self.hypnogram is None:
            self.stats = None
            self.table.setRowCount(0)
            return
        self._generation += 1
        if len(self.hypnogram) < ASYNC_FROM_EPOCHS:
            self._show(self.compute())
            return
        hyp = self.hypnogram
        frozen = Hypnogram.from_arrays(hyp.stages.copy(), hyp.epoch_length,
                                       sources=hyp.sources.copy())
        generation = self._generation
        task = Task("Statistics", _compute, hypnogram=frozen, states=self.states_shown(),
                    start_time=self.start_time, spectrogram=self.spectrogram,
                    clock_hours=self._clock_hours())
        task.returned.connect(lambda st: generation == self._generation and self._show(st))
        task.errored.connect(lambda exc: log.error("statistics failed", exc_info=exc))
        task.finished.connect(lambda: self._workers.discard(task))
        self._workers.add(task)
        task.start()

    def _show(self, st: backend.SleepStatistics) -> None:
        self.stats = st
        self.table.setRowCount(len(st.states) + 1)
        self.table.setVerticalHeaderLabels([s.label for s in st.states] + ["Unscored"])
        for row, s in enumerate(st.states):
            values = [duration_text(st.time_s[s]), f"{st.percent_of_scored[s]:.1f}",
                      str(st.bout_count[s]), f"{st.mean_bout_s[s]:.1f}"]
            for col, text in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.setItem(len(st.states), 0, QTableWidgetItem(duration_text(st.unscored_s)))
        for col in range(1, 4):
            self.table.setItem(len(st.states), col, QTableWidgetItem(""))
        n = len(st.states)
        self.transitions.setRowCount(n)
        self.transitions.setColumnCount(n)
        labels = [s.label for s in st.states]
        self.transitions.setHorizontalHeaderLabels(labels)
        self.transitions.setVerticalHeaderLabels(labels)
        for i in range(n):
            for j in range(n):
                self.transitions.setItem(i, j, QTableWidgetItem(str(int(st.transitions[i, j]))))
        for table in (self.table, self.transitions):
            fit_rows(table)
        heights = [st.percent_of_scored[s] for s in st.states]
        brushes = [pg.mkBrush(self.colours[s]) for s in st.states]
        self.bars.setOpts(x=np.arange(n), height=heights, width=0.7, brushes=brushes)
        self.plot.getAxis("bottom").setTicks([list(enumerate(labels))])
        self.plot.setYRange(0, max(10.0, max(heights, default=0) * 1.1), padding=0)
        self.plot.setXRange(-0.6, n - 0.4, padding=0)
        self._show_latency(st)
        self._show_spectra(st)
        self._show_comparison()
        self._show_stimulation()
        for table in (self.table, self.transitions):  # as tall as their rows, no blank area
            table.setFixedHeight(table.horizontalHeader().height() + 2 * table.frameWidth() + 2
                                 + sum(table.rowHeight(r) for r in range(table.rowCount())))

    def set_stimulation(self, trains: tuple[str, list] | None) -> None:
        """The trigger channel and its trains (seconds), or None: shown per train with
        the statistics, from the next refresh (set before the recording's labels)."""
        self.trains = trains

    def _show_stimulation(self) -> None:
        if self.trains is None or self.hypnogram is None:
            self.stimulation.setVisible(False)
            return
        channel, ranges = self.trains
        self.stimulation.setText(backend.trains_text(
            channel=channel, stages=self.hypnogram.stages, ranges_s=ranges,
            epoch_length=self.hypnogram.epoch_length))
        self.stimulation.setVisible(True)

    def set_comparison(self, other: Hypnogram | None, name: str = "") -> None:
        self.other, self.other_name = other, name
        self.refresh()

    def _show_comparison(self) -> None:
        """Agreement with the second labels (core/compare: what `sleepscorer compare` says)."""
        if self.other is None or self.hypnogram is None:
            self.comparison.setVisible(False)
            return
        text = backend.comparison_text(a=self.other, b=self.hypnogram, name_a=self.other_name,
                                       name_b="these labels")
        self.comparison.setText(f"compared with {self.other_name}:\n" + text)
        self.comparison.setVisible(True)

    def _show_latency(self, st: backend.SleepStatistics) -> None:
        def minutes(value):
            return "none" if value is None else f"{value / 60:.1f} min"

        text = (f"sleep latency {minutes(st.sleep_latency_s)}, REM latency "
                f"{minutes(st.rem_latency_s)}")
        if st.light_s is not None:
            sleep = (Stage.NREM, Stage.REM)
            light = sum(st.light_s.get(s, 0.0) for s in sleep) / 60
            dark = sum(st.dark_s.get(s, 0.0) for s in sleep) / 60
            text += f"; sleep in light {light:.1f} min, dark {dark:.1f} min"
        text += f"\nper hour (in the export): {st.per_hour_text()}"
        self.latency.setText(text)

    def _show_spectra(self, st: backend.SleepStatistics) -> None:
        """Mean log power per state, with a band of +-1 SD, for states with epochs."""
        for curve, band, low, high in self.spectra_items.values():
            for item in (curve, band, low, high):
                self.spectra.removeItem(item)
        self.spectra_items.clear()
        self.spectra_legend.clear()
        sp = st.spectra
        self.spectra.setVisible(sp is not None)
        if sp is None:
            return
        for s in st.states:
            if not sp.n_epochs.get(s):
                continue
            colour = pg.mkColor(self.colours[s])
            mean, sd = sp.mean_db[s], sp.sd_db[s]
            low = pg.PlotCurveItem(sp.freqs, mean - sd, pen=pg.mkPen(None))
            high = pg.PlotCurveItem(sp.freqs, mean + sd, pen=pg.mkPen(None))
            fill = pg.mkColor(colour)
            fill.setAlpha(50)
            band = pg.FillBetweenItem(low, high, brush=pg.mkBrush(fill))
            curve = pg.PlotCurveItem(sp.freqs, mean, pen=pg.mkPen(colour, width=2),
                                     name=f"{s.label} ({sp.n_epochs[s]})")
            for item in (low, high, band, curve):
                self.spectra.addItem(item)
            self.spectra_items[s] = (curve, band, low, high)

    def set_colours(self, colours: dict[Stage, str]) -> None:
        self.colours = dict(colours)

    def set_stages(self, stages: tuple[Stage, ...]) -> None:
        """Show rows for these stages (and any other stage the labels contain)."""
        self.stages = tuple(stages)
        self.refresh()


def fit_rows(table: QTableWidget) -> None:
    """Make `table` exactly as tall as its rows, so its last row is never cut off."""
    table.resizeRowsToContents()
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(height)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
