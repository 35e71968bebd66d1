"""The statistics panel (spectra, latency; the numbers `sleepscorer stats` gives) and a
second labels file shown as a band with 'next disagreement'."""

from __future__ import annotations

import json

import numpy as np
from PySide6.QtCore import Qt

from sleepscorer.core.statistics import compute_statistics, statistics_dict
from sleepscorer.gui import backend
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score


def test_second_labels_band_and_next_disagreement(qtbot, window, recording_path, tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    other = hyp.stages.copy()
    other[50:60] = np.where(other[50:60] == Stage.REM, Stage.WAKE, Stage.REM)
    other[200] = Stage.MA
    path = tmp_path / "scorer2.csv"
    backend.write_labels_csv(hypnogram=Hypnogram.from_arrays(other), path=path)
    assert window.files.labels.compare_with(path)
    plot = window.trace_view.compare_plot
    assert plot is not None and len(plot.compare_strip.rgba) == len(hyp)
    marks = plot.disagree_strip.rgba[:, 3] > 0
    assert marks[50:60].all() and marks[200] and marks.sum() == 11
    overview = window.overview.marks.rgba[:, 3] > 0  # the whole recording's bar shows them too
    assert np.array_equal(overview, marks)
    before = hyp.stages.copy()
    session.select(0)
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert (session.start, session.stop) == (50, 60)
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert (session.start, session.stop) == (200, 201)
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ShiftModifier)
    assert (session.start, session.stop) == (50, 60)
    assert np.array_equal(hyp.stages, before)  # comparing changes nothing held
    text = window.statistics.comparison.text()
    assert "Cohen's kappa" in text and "agreement: 96.3%" in text
    session.go_to(200.5)  # selected and in view (a key never labels what is out of view)
    qtbot.keyClick(window, Qt.Key.Key_4)  # agree with the second scorer: the mark goes
    assert not (window.trace_view.compare_plot.disagree_strip.rgba[200, 3] > 0)
    assert not (window.overview.marks.rgba[200, 3] > 0)


def test_the_overview_marks_a_lone_disagreement_in_a_day(qtbot):
    from sleepscorer.gui.overview import MARK_BINS, OverviewBar

    bar = OverviewBar()
    qtbot.addWidget(bar)
    marked = np.zeros(86400, bool)
    marked[43210] = True  # one epoch of 86,400: about 1/100 of a pixel
    bar.set_marks(marked, 1.0)
    shown = bar.marks.rgba[:, 3] > 0
    assert len(shown) == MARK_BINS and shown.sum() == 1
    assert abs(np.flatnonzero(shown)[0] * bar.marks.epoch_length - 43210) <= 86400 / MARK_BINS
    bar.set_marks(None, 1.0)
    assert len(bar.marks.rgba) == 0


def test_the_comparison_shown_is_exported_as_compare_writes_it(qtbot, window, recording_path,
                                                               tmp_path, monkeypatch):
    from sleepscorer.gui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(text))
    session = open_and_score(qtbot, window, recording_path)
    assert not window.files.labels.export_comparison(tmp_path / "none.json")
    assert "no second labels" in window.statusBar().currentMessage()
    other = session.hypnogram.stages.copy()
    other[:30] = np.where(other[:30] == Stage.REM, Stage.WAKE, Stage.REM)
    path = tmp_path / "scorer2.csv"
    backend.write_labels_csv(hypnogram=Hypnogram.from_arrays(other), path=path)
    assert window.files.labels.compare_with(path)
    out = tmp_path / "agreement.json"
    assert window.files.labels.export_comparison(out)
    data = json.loads(out.read_text())
    assert data["a"] == "scorer2.csv" and data["b"] == f"SleepScorer labels of {recording_path.name}"
    assert data["epochs_compared"] == len(other) and data["agreement"] == 0.9
    assert f"agreement: {100 * data['agreement']:.1f}%" in window.statistics.comparison.text()
    before = path.read_bytes()
    assert not window.files.labels.export_comparison(path)  # never over the compared file
    assert path.read_bytes() == before and "scorer2.csv" in shown[-1]


def test_panel_has_spectra_and_latency_and_exports_what_it_shows(qtbot, window, recording_path,
                                                                tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    panel = window.statistics
    panel.refresh()
    st = panel.stats
    assert st.spectra is not None and panel.spectra_items  # one curve per state with epochs
    assert sum(st.spectra.n_epochs.values()) > 250
    assert "sleep latency" in panel.latency.text()
    out = tmp_path / "stats.json"
    assert window.files.export_statistics(out)
    data = json.loads(out.read_text())
    again = compute_statistics(session.hypnogram, states=st.states,
                               start_time=session.recording.start_time,
                               spectrogram=panel.spectrogram)
    assert data == json.loads(json.dumps(statistics_dict(again)))  # the same function
    assert data["spectra_db"]["freqs_hz"][0] > 0


def test_long_recordings_are_summarised_off_the_gui_thread(qtbot):
    from sleepscorer.gui.statistics_panel import ASYNC_FROM_EPOCHS, StatisticsPanel

    panel = StatisticsPanel()
    qtbot.addWidget(panel)
    stages = np.repeat([Stage.WAKE, Stage.NREM], ASYNC_FROM_EPOCHS).astype(np.int8)
    hyp = Hypnogram.from_arrays(stages)
    panel.set_hypnogram(hyp)
    assert panel.stats is None  # not computed on the GUI thread
    qtbot.waitUntil(lambda: panel.stats is not None, timeout=10000)
    assert panel.stats.time_s[Stage.NREM] == ASYNC_FROM_EPOCHS
    hyp.set_stage(0, 10, Stage.REM)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.stats.time_s[Stage.REM] == 10, timeout=10000)


def test_panel_comparison_says_n_a_for_a_state_one_scoring_never_holds(qtbot):
    """The panel shows core/compare's text: REM only in these labels is n/a, not F1 0.000."""
    from sleepscorer.gui.statistics_panel import StatisticsPanel

    panel = StatisticsPanel()
    qtbot.addWidget(panel)
    mine = np.repeat([Stage.WAKE, Stage.NREM, Stage.REM], [50, 40, 10]).astype(np.int8)
    theirs = np.repeat([Stage.WAKE, Stage.NREM], [50, 50]).astype(np.int8)
    panel.set_hypnogram(Hypnogram.from_arrays(mine))
    panel.set_comparison(Hypnogram.from_arrays(theirs), "scorer2.csv")
    text = panel.comparison.text()
    assert "REM n/a (only in these labels: 10 epochs)" in text and "REM 0.000" not in text


def test_panel_per_hour_bins_on_clock_hours_when_the_start_is_known(qtbot, tmp_path):
    """The export's per-hour bins run from the recording's start unless ticked, and the
    panel says which; without a start time the box cannot be ticked."""
    from datetime import datetime

    from sleepscorer.gui.statistics_panel import StatisticsPanel

    panel = StatisticsPanel()
    qtbot.addWidget(panel)
    hyp = Hypnogram.from_arrays(np.repeat([Stage.WAKE, Stage.NREM], 3600).astype(np.int8))
    panel.set_hypnogram(hyp)
    assert not panel.clock_hours.isEnabled() and panel.stats.hours_aligned_to == "recording start"
    assert "per hour (in the export): 2 bins from the recording start" in panel.latency.text()
    panel.set_hypnogram(hyp, start_time=datetime(2024, 3, 1, 18, 30))
    assert panel.clock_hours.isEnabled()
    panel.clock_hours.setChecked(True)  # recomputed at once
    assert panel.stats.hours_aligned_to == "clock hours"
    assert ("per hour (in the export): 3 bins on clock hours (first 30.0 min, last 30.0 min)"
            in panel.latency.text())
    text = backend.write_statistics(stats=panel.compute(), path=tmp_path / "s.csv").read_text()
    assert "per hour,bins aligned to clock hours\n" in text and "0,2024-03-01 18:30,1800," in text


def _time_column(panel) -> dict[str, str]:
    table = panel.table
    return {table.verticalHeaderItem(r).text(): table.item(r, 0).text()
            for r in range(table.rowCount())}


def test_the_time_column_has_one_unit_on_a_day_and_on_minutes(qtbot):
    """A user trial: on a 24-h file the time column read "11.33 h" beside "93.8 min", and a
    short file's 2 unscored seconds read "0.0 min". Every row is now h:mm:ss."""
    from sleepscorer.gui.statistics_panel import StatisticsPanel

    panel = StatisticsPanel()
    qtbot.addWidget(panel)
    day = np.repeat([Stage.WAKE, Stage.NREM, Stage.REM, Stage.UNSCORED],
                    [40788, 39984, 5628, 0]).astype(np.int8)
    panel.set_hypnogram(Hypnogram.from_arrays(day))
    qtbot.waitUntil(lambda: panel.stats is not None, timeout=10000)  # a day: off the GUI thread
    assert panel.table.horizontalHeaderItem(0).text() == "h:mm:ss"  # fits the docked column
    times = _time_column(panel)
    assert (times["Wake"], times["NREM"], times["REM"]) == ("11:19:48", "11:06:24", "1:33:48")
    assert times["Unscored"] == "0:00:00"
    short = np.repeat([Stage.WAKE, Stage.NREM, Stage.UNSCORED], [200, 98, 2]).astype(np.int8)
    panel.set_hypnogram(Hypnogram.from_arrays(short))
    times = _time_column(panel)
    assert (times["Wake"], times["Unscored"]) == ("0:03:20", "0:00:02")
    assert panel.table.item(0, 3).text() == "200.0"  # the unit is in the header: "mean (s)"


def test_the_comparison_bands_title_is_readable(qtbot, window, recording_path, tmp_path):
    """A user trial: the band of a second labels file was titled "b_a_see…", upright in a
    34-px band. The name now reads across, cut in its middle (start and extension show), and
    the whole name is the tooltip."""
    from PySide6.QtGui import QFontMetrics

    session = open_and_score(qtbot, window, recording_path)
    name = "b_a_seed42_second_scorer_labels.csv"
    path = tmp_path / name
    backend.write_labels_csv(hypnogram=session.hypnogram, path=path)
    assert window.files.labels.compare_with(path)
    axis = window.trace_view.compare_plot.getAxis("left")
    [[(_, title)], _] = axis._tickLevels  # what the axis draws, horizontally
    assert title.startswith("b_a_") and title.endswith(".csv") and "…" in title
    width = QFontMetrics(axis.style["tickFont"]).horizontalAdvance(title)
    assert width <= axis.width() - axis.style["tickTextOffset"][0]  # it fits its axis
    assert name in axis.toolTip() and name in window.trace_view.compare_plot.toolTip()
    short = tmp_path / "s2.csv"
    backend.write_labels_csv(hypnogram=session.hypnogram, path=short)
    assert window.files.labels.compare_with(short)
    assert axis._tickLevels[0][0][1] == "s2.csv"  # a short name whole
