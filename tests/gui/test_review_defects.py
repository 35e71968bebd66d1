"""The review-loop defects of issue 16, one test each (each failed before its fix)."""

from __future__ import annotations

import numpy as np
import scipy.io
from PySide6.QtCore import Qt

from sleepscorer.core.display import confidence_envelope
from sleepscorer.gui import backend
from sleepscorer.gui.file_actions import recording_filter
from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.gui.conftest import RATE, open_and_score, wait_scored, write_edf
from tests.gui.test_workflow import drop


def curve_points(curve) -> int:
    x, _ = curve.getData()
    return 0 if x is None else len(x)


def test_second_open_in_the_5_min_view_draws_the_traces(qtbot, window, recording_path, tmp_path):
    open_and_score(qtbot, window, recording_path)
    window.window_combo.setCurrentIndex(4)  # 5 min: the whole 5-min recording
    window._preset_chosen(4)
    other = write_edf(tmp_path / "mouse2.edf")
    window.files.open_path(other)
    qtbot.waitUntil(lambda: window.session.recording.source == other and not window.files.busy(),
                    timeout=60000)
    for name, curve in window.trace_view.curves.items():
        assert curve_points(curve) > 100, f"{name} is blank"


def low_confidence_layout(window):
    hyp = window.session.hypnogram
    conf = np.full(len(hyp), 0.95, np.float32)
    conf[40:80] = 0.3
    conf[100] = 0.4
    hyp.replace(0, hyp.stages.copy(), np.full(len(hyp), Source.MODEL, np.int8), conf, "test")
    return hyp


def test_n_and_shift_n_jump_run_by_run(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    low_confidence_layout(window)
    assert session.low_confidence_runs() == 2
    session.select(0)
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert (session.start, session.stop) == (40, 80)  # the whole run, one stop
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert (session.start, session.stop) == (100, 101)
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert (session.start, session.stop) == (40, 80)  # wraps
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert (session.start, session.stop) == (100, 101)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert (session.start, session.stop) == (40, 80)


def test_labelling_never_moves_the_view(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    window.trace_view.set_x_range(100, 130)
    session.click(110.5)
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert window.trace_view.x_range() == (100.0, 130.0)
    assert session.hypnogram.stages[110] == Stage.NREM and session.start == 111
    session.drag(112.0, 118.0)
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.trace_view.x_range() == (100.0, 130.0)
    session.click(129.5)  # the last visible epoch: the next one is brought into view
    qtbot.keyClick(window, Qt.Key.Key_1)
    t0, t1 = window.trace_view.x_range()
    assert t1 >= 131 and abs((t1 - t0) - 30) < 1e-6


def test_window_box_follows_zoom(qtbot, window, recording_path):
    open_and_score(qtbot, window, recording_path)
    window.window_combo.setCurrentIndex(2)
    window._preset_chosen(2)  # 30 s
    window.zoom(2.0)
    assert window.window_combo.currentText() == "1 min"
    window.trace_view.set_x_range(0, 45)
    assert window.window_combo.currentText() == "45 s"
    window.trace_view.set_x_range(0, 10)
    assert window.window_combo.currentText() == "10 s"
    assert window.window_combo.count() == 8  # the custom entry went away again


def test_confidence_track_is_decimated_per_pixel(qtbot, window, recording_path):
    open_and_score(qtbot, window, recording_path)
    track = window.trace_view.confidence
    rng = np.random.default_rng(0)
    values = rng.uniform(0.3, 1.0, 86_400).astype(np.float32)  # a 24 h recording
    track.set_confidence(values, 1.0)
    track.redraw(0, 86_400, 1200)
    assert 0 < curve_points(track.curve) <= 1200
    _, mean = track.curve.getData()
    _, low = track.low_curve.getData()
    assert np.nanmin(low) < np.nanmin(mean)  # the minimum per pixel shows the dips
    x, m, lo = confidence_envelope(values, 1.0, 0, 86_400, 1200)
    k = int(np.ceil(86_400 / 1200))
    assert abs(m[5] - values[5 * k:6 * k].mean()) < 1e-5 and lo[5] == values[5 * k:6 * k].min()


def axis_texts(axis):
    """The title and the tick labels an axis draws now."""
    lo, hi = axis.range
    scale = axis.scale * axis.autoSIPrefixScale
    levels = axis.tickValues(lo, hi, hi - lo)
    values = [v for _, vs in levels for v in vs]
    return axis.labelString(), axis.tickStrings(values, scale, hi - lo)


def test_axes_show_real_units_with_readable_ticks(qtbot, window, recording_path, tmp_path):
    session = open_and_score(qtbot, window, recording_path)  # stored in uV
    window.trace_view.set_x_range(0, 300)
    for channel in session.recording.channels:
        title, ticks = axis_texts(window.trace_view.trace_plots[channel.name].getAxis("left"))
        assert f"{channel.name} (µV)" in title, title
        assert "mmV" not in title and "kuV" not in title and "kµV" not in title
        assert ticks and not any("e-" in t or "e+" in t for t in ticks), ticks
    from sleepscorer.gui.workers import prepare_loaded
    from sleepscorer.io.recording import Channel, ChannelKind, Recording

    rng = np.random.default_rng(0)
    volts = Recording([Channel("EEG1", ChannelKind.EEG,
                               (rng.normal(size=12_800) * 5e-5).astype(np.float32), 128.0, "V"),
                       Channel("EMG1", ChannelKind.EMG,
                               (rng.normal(size=12_800) * 2e-3).astype(np.float32), 128.0, "mV")],
                      tmp_path / "volts.edf")
    hyp = session.hypnogram.__class__(100, 1.0)
    window.trace_view.set_recording(prepare_loaded(volts, 1.0), hyp)
    window.trace_view.set_x_range(0, 100)
    title, ticks = axis_texts(window.trace_view.trace_plots["EEG1"].getAxis("left"))
    assert "EEG1 (µV)" in title and not any("e-" in t for t in ticks), (title, ticks)
    title, ticks = axis_texts(window.trace_view.trace_plots["EMG1"].getAxis("left"))
    assert "EMG1 (µV)" in title and "mmV" not in title, title  # 2 µV stored as 0.002 mV


def test_every_warning_is_kept_in_a_visible_list(qtbot, window, recording_path, isolated):
    isolated.score.warnings = ["first note from scoring", "second note from scoring"]
    open_and_score(qtbot, window, recording_path)
    texts = window.warnings.texts()
    assert any("first note" in t for t in texts) and any("second note" in t for t in texts)
    # the model's own notes (e.g. the REM rule) may join them: every one is listed and counted
    assert window.warnings_dock.isVisibleTo(window)
    assert window.warning_count.text() == f"{len(texts)} warnings", texts


def test_a_dropped_mat_is_opened_as_what_it_holds(qtbot, window, recording_path, tmp_path,
                                                  isolated):
    open_and_score(qtbot, window, recording_path)
    n = int(RATE * 120)
    rng = np.random.default_rng(1)
    signals = tmp_path / "signals.mat"
    scipy.io.savemat(signals, {"eeg": rng.normal(size=n) * 50, "emg": rng.normal(size=n) * 20,
                               "eeg_frequency": RATE})
    drop(window, signals)  # a recording, although a recording is open: opened, not imported
    qtbot.waitUntil(lambda: window.session.recording.source == signals
                    and not window.files.busy(), timeout=60000)
    wait_scored(qtbot, window)
    assert len(window.session.hypnogram) == 120

    labels = tmp_path / "scores.mat"
    scipy.io.savemat(labels, {"sleep_scores": np.ones(120)})
    drop(window, labels)  # labels only: imported onto the open recording
    hyp = window.session.hypnogram
    assert (hyp.stages == Stage.NREM).all() and (hyp.sources == Source.IMPORTED).all()

    both = tmp_path / "both.mat"
    scipy.io.savemat(both, {"eeg": rng.normal(size=n), "eeg_frequency": RATE,
                            "sleep_scores": np.zeros(120)})
    drop(window, both)  # both: asked (the answer here is "labels")
    assert ("drop", "both.mat") in isolated.asked and (hyp.stages == Stage.WAKE).all()


def test_open_dialog_offers_what_the_readers_read(qtbot, window):
    patterns = recording_filter().split(";;")[0]
    for suffix in backend.recording_suffixes():
        assert f"*{suffix}" in patterns
    assert "*.npz" not in patterns and "*.fif" not in patterns


def test_readme_lists_the_readers_formats_and_the_qt_libraries():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Supported files"):readme.index("## The label CSV")]
    for suffix in backend.recording_suffixes():
        assert suffix in section, suffix
    for lib in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"):
        assert lib in readme


def test_no_missing_weights_message_while_the_model_list_loads(qtbot):
    from sleepscorer.gui.main_window import MainWindow
    from sleepscorer.gui.model_panel import NO_MODELS

    win = MainWindow()
    qtbot.addWidget(win)
    assert win.model_panel.models.itemText(0) != NO_MODELS  # before the list is read
    win.files.shutdown()


def test_thin_tracks_have_short_titles(qtbot, window, tmp_path):
    path = write_edf(tmp_path / "stim.edf", labels=("EEG1", "EMG1", "Stim trigger 1"))
    window.files.open_path(path)
    wait_scored(qtbot, window)
    plot = window.trace_view.trace_plots["Stim trigger 1"]
    axis = plot.getAxis("left")
    assert len(axis.labelText) <= 9 and axis.toolTip() == "Stim trigger 1 (µV)"


def test_an_unsupported_drop_says_what_is_read(qtbot, window, tmp_path):
    path = tmp_path / "data.npz"
    path.write_bytes(b"PK")
    drop(window, path)
    assert window.session is None and not window.files.busy()
    assert "not a file SleepScorer reads" in window.statusBar().currentMessage()


def test_a_recording_opens_in_the_chosen_window_length(qtbot, window, recording_path, isolated,
                                                        tmp_path):
    """A fresh install opened the demo 1 s wide: the empty plot's range had become the
    window box's entry before any recording, and opening used the box instead of the
    user's setting (30 s unless they chose another)."""
    window.resize(1600, 1000)
    qtbot.wait(200)  # the empty plot lays out and reports its range
    open_and_score(qtbot, window, recording_path)
    assert abs(window.window_s() - 30.0) < 0.5 and window.window_combo.currentText() == "30 s"
    window._preset_chosen(1)  # 10 s, remembered for the next recording
    other = write_edf(tmp_path / "mouse2.edf")
    window.files.open_path(other)
    qtbot.waitUntil(lambda: window.session.recording.source == other and not window.files.busy(),
                    timeout=60000)
    assert abs(window.window_s() - 10.0) < 0.5 and window.window_combo.currentText() == "10 s"



def with_trigger(path, label: str, unit: str, physical_range, make):
    """An EEG+EMG EDF with one more signal, `make(t, rng)` over the sample times `t`."""
    import edfio

    from tests.gui.conftest import MINUTES, RATE

    n = int(RATE * 60 * MINUTES)
    rng = np.random.default_rng(1)
    t = np.arange(n) / RATE
    signals = [edfio.EdfSignal(50 * np.sin(2 * np.pi * f * t) + 10 * rng.normal(size=n), RATE,
                               label=name, physical_dimension="uV", physical_range=(-500, 500))
               for name, f in (("EEG1", 2), ("EMG1", 6))]
    signals.append(edfio.EdfSignal(make(t, rng), RATE, label=label, physical_dimension=unit,
                                   physical_range=physical_range))
    edfio.Edf(signals).write(path)
    return path


def test_a_trigger_track_keeps_the_whole_files_range(qtbot, window, tmp_path, isolated):
    """Between pulses a trigger is a flat baseline: scaled to what was on screen it drew its
    noise as a busy trace (0.055-0.065 on the demo). A thin track keeps the file's range."""
    def trigger(t, rng):  # baseline noise and one stimulation train
        return np.where((t >= 200) & (t < 210), 400.0, 0.5 * rng.normal(size=len(t)))

    path = with_trigger(tmp_path / "stim.edf", "Trigger", "uV", (-500, 500), trigger)
    window.resize(1600, 1000)
    open_and_score(qtbot, window, path)
    plot = window.trace_view.trace_plots["Trigger"]
    ranges = []
    for t0 in (20.0, 190.0, 20.0):  # no pulse, the pulse, no pulse again
        window.trace_view.set_x_range(t0, t0 + 30.0)
        qtbot.wait(50)
        ranges.append(tuple(plot.vb.viewRange()[1]))
    assert ranges[0] == ranges[1] == ranges[2]
    lo, hi = ranges[0]
    assert lo <= -1.0 and hi >= 400.0  # the baseline's noise and the pulse, in one scale


def test_the_statistics_say_what_each_stimulation_train_did(qtbot, window, tmp_path, isolated):
    """Labs that stimulate ask for the states during and after each train (PEERS item 8):
    the panel shows what `sleepscorer stats --recording` prints, and follows edits."""
    def laser(t, rng):  # 10-Hz pulses of 20 ms for 20 s
        pulses = (t >= 60) & (t < 80) & (t % 0.1 < 0.02)
        return np.where(pulses, 5.0, 0.0) + 0.01 * rng.normal(size=len(t))

    path = with_trigger(tmp_path / "opto.edf", "Laser", "V", (-10, 10), laser)
    session = open_and_score(qtbot, window, path)
    label = window.statistics.stimulation
    assert not label.isHidden() and "1 train(s) on 'Laser'" in label.text()
    assert "0:01:00-0:01:20" in label.text()
    session.drag(60.0, 79.9)
    qtbot.keyClick(window, Qt.Key.Key_1)  # the expert: Wake during the whole train
    qtbot.waitUntil(lambda: "during Wake 100 %" in label.text(), timeout=5000)
