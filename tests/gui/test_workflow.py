"""The scoring workflow through the real window: open, score, correct, undo, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from sleepscorer.gui import backend
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score, wait_scored, write_edf


def drop(win, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    win.dropEvent(event)


def test_open_score_label_undo_export(qtbot, window, recording_path, tmp_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    assert len(hyp) == 300 and (hyp.sources == Source.MODEL).all()
    assert isolated.score.results[-1].model_name in window.model_info.text()  # the real model

    session.click(10.5)
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert hyp.stages[10] == Stage.NREM and hyp.sources[10] == Source.EXPERT
    assert (session.start, session.stop) == (11, 12)  # advanced to the next epoch

    model_stages = hyp.stages.copy()
    session.drag(100.2, 119.7)
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert (hyp.stages[100:120] == Stage.REM).all()
    assert (session.start, session.stop) == (100, 120)  # a range stays selected

    window.trace_view.set_x_range(0, 30)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(hyp.stages[100:120], model_stages[100:120])  # the model's again
    assert (hyp.sources[100:120] == Source.MODEL).all()
    t0, t1 = window.trace_view.x_range()
    assert t0 <= 100 and t1 >= 120  # the view moved to the undone change
    qtbot.keyClick(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert (hyp.stages[100:120] == Stage.REM).all()

    out = tmp_path / "labels.csv"
    assert window.files.export_csv(out)
    back = backend.read_labels(path=out, n_epochs=len(hyp), epoch_length=1.0)
    assert np.array_equal(back.stages, hyp.stages)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("epoch,onset_s,duration_s,stage")
    assert lines[11].split(",")[3] == "NREM" and lines[101].split(",")[3] == "REM"
    assert not session.dirty  # exported: closing will not ask
    assert (hyp.stages[100:120] == Stage.REM).all()  # the export is a copy: nothing changed
    assert session.store.meta["exports"][-1]["path"] == str(out.resolve())


def test_export_uses_the_export_epoch_length_and_bids(qtbot, window, recording_path, tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    window.settings.export_epoch_length = 4.0
    out = tmp_path / "labels4.csv"
    assert window.files.export_csv(out)
    assert len(out.read_text().splitlines()) == 1 + 300 // 4
    events = tmp_path / "sub-01_events.tsv"
    assert window.files.export_bids(events)
    rows = events.read_text().splitlines()
    assert rows[0].startswith("onset\tduration\tstage")  # at the same 4 s (a user trial)
    assert len(rows) == 1 + 300 // 4 and rows[2].split("\t")[:2] == ["4", "4"]
    assert (tmp_path / "sub-01_events.json").exists()  # the codes' meaning beside them
    stats = tmp_path / "stats.csv"
    assert window.files.export_statistics(stats)
    assert stats.read_text().startswith("state,time_s")
    assert session.hypnogram is window.statistics.hypnogram


def test_confirm_bout_and_navigation(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    session.select_bout(25.5)  # bouts are 20 epochs long, 25 is in 20..39
    assert (session.start, session.stop) == (20, 40)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert (hyp.sources[session.start:session.stop] == Source.EXPERT).all()

    session.select(0)
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert session.start == 3  # the first uncertain epoch
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert session.start == 10
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert session.start == 11
    session.go_to(150.2)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert session.start == 151
    t0, t1 = window.trace_view.x_range()
    assert abs((t0 + t1) / 2 - 151.5) < 0.01  # the selected epoch is centred

    window.window_combo.setCurrentIndex(1)  # 10 s
    window._preset_chosen(1)
    t0, t1 = window.trace_view.x_range()
    assert abs((t1 - t0) - 10) < 0.01
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # the next 10 s, contiguous: 156.5-166.5
    t0, t1 = window.trace_view.x_range()
    assert abs(t0 - 156.5) < 0.01 and abs(t1 - 166.5) < 0.01
    assert session.start == 157  # its first whole epoch
    session.go_to(125.0)
    assert session.start == 125

    hyp.set_stage(200, 201, Stage.UNSCORED)
    session.select(0)
    qtbot.keyClick(window, Qt.Key.Key_U)
    assert session.start == 200


def test_rescore_keeps_person_labels_unless_asked(qtbot, window, recording_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    hyp.set_stage(0, 5, Stage.MA)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.files.busy(), timeout=60000)
    assert ("rescore", 5) in isolated.asked
    assert (hyp.stages[:5] == Stage.MA).all()
    isolated.rescore = (True, True)
    window.files.score_again()
    qtbot.waitUntil(lambda: not window.files.busy() and hyp.stages[0] != Stage.MA, timeout=60000)
    assert (hyp.sources[:5] == Source.MODEL).all()


def test_rescore_after_labelling_scales_by_the_persons_labels(qtbot, window, recording_path, isolated):
    """A person's labels of two states (2 min or more) choose the file's scaling on the next
    scoring, through the real model; the app says so, and the labels stay the person's."""
    session = open_and_score(qtbot, window, recording_path)
    assert not any("scaled by your" in w for w in isolated.score.results[-1].warnings)
    hyp = session.hypnogram
    hyp.set_stage(0, 90, Stage.WAKE)
    hyp.set_stage(90, 180, Stage.NREM)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.files.busy() and len(isolated.score.results) == 2, timeout=60000)
    assert any(w.startswith("scaled by your 180 labelled epochs (Wake 90, NREM 90)")
               for w in isolated.score.results[-1].warnings)
    assert (hyp.stages[:90] == Stage.WAKE).all() and (hyp.sources[:180] == Source.EXPERT).all()


def test_drop_recording_then_labels(qtbot, window, recording_path, tmp_path):
    drop(window, recording_path)
    wait_scored(qtbot, window)
    hyp = window.session.hypnogram
    before = hyp.stages.copy()
    labels = Hypnogram.from_arrays(np.full(300, Stage.NREM))
    backend.write_labels_csv(hypnogram=labels, path=tmp_path / "expert.csv")
    drop(window, tmp_path / "expert.csv")
    assert (hyp.stages == Stage.NREM).all() and (hyp.sources == Source.IMPORTED).all()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(hyp.stages, before)  # one undo step


def test_bad_file_shows_a_message_not_a_crash(qtbot, window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: shown.append((title, text)))
    bad = tmp_path / "broken.edf"
    bad.write_bytes(b"this is not an EDF file" * 10)
    drop(window, bad)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "broken.edf" in shown[0][0] and shown[0][1].startswith("error:")
    assert window.session is None


def test_unknown_channels_ask_for_roles(qtbot, window, tmp_path, monkeypatch):
    from sleepscorer.gui.channel_dialog import ChannelDialog

    path = write_edf(tmp_path / "odd.edf", labels=("ch1", "ch2"))
    seen = []

    def accept(dialog):
        seen.append(dict(dialog.roles()))
        return ChannelDialog.DialogCode.Accepted

    from sleepscorer.gui import backend

    reads = []
    real_load = backend.load_recording
    monkeypatch.setattr(backend, "load_recording", lambda **kw: reads.append(kw) or real_load(**kw))
    monkeypatch.setattr(ChannelDialog, "exec", accept)
    window.files.open_path(path)
    wait_scored(qtbot, window)
    assert seen and window.session.recording.eeg.name == "ch1"
    assert window.session.recording.emg.name == "ch2"
    assert len(reads) == 1  # the roles are applied to what was read, not by reading again
    assert not any("recognised as EEG" in w for w in window.session.recording.warnings)


def test_window_stays_responsive_while_scoring(qtbot, window, recording_path, isolated):
    """The event loop keeps turning while the model works: timer ticks arrive during the
    scoring task (counted, not timed, so a loaded machine does not fail it)."""
    from PySide6.QtCore import QTimer

    isolated.score.delay = 1.5
    ticks = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(window.files.busy()))
    timer.start()
    window.files.open_path(recording_path)
    wait_scored(qtbot, window)
    timer.stop()
    assert sum(ticks) >= 20  # the GUI thread ran many times while the task was busy


def test_a_file_that_fails_to_open_leaves_the_open_recording_scoring(
        qtbot, window, recording_path, isolated, tmp_path, monkeypatch):
    """A user trial: opening a broken file while the open recording was scored stopped that
    scoring ("cancelled", every epoch Unscored) although nothing was cancelled."""
    from sleepscorer.gui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(title))
    bad = tmp_path / "broken.edf"
    bad.write_bytes(b"not an EDF at all")
    isolated.score.delay = 2.0
    window.files.open_path(recording_path)
    qtbot.waitUntil(lambda: window.session is not None and window.files.task is not None)
    session = window.session
    window.files.open_path(bad, ask_to_save=False)
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert shown == ["Cannot open broken.edf"]
    wait_scored(qtbot, window)
    assert window.session is session and window.files.path == recording_path
    assert (session.hypnogram.stages != Stage.UNSCORED).all()
    assert "cancelled" not in window.model_info.text()
    qtbot.waitUntil(lambda: not window.task_bar.isVisible(), timeout=5000)


def test_cancel_scoring_leaves_labels_alone(qtbot, window, recording_path, isolated):
    isolated.score.delay = 3.0
    window.files.open_path(recording_path)
    qtbot.waitUntil(lambda: window.session is not None and window.task_bar.task is not None)
    window.task_bar.cancel()
    qtbot.waitUntil(lambda: not window.files.busy(), timeout=5000)
    assert (window.session.hypnogram.stages == Stage.UNSCORED).all()
    assert "cancelled" in window.model_info.text()


def test_an_export_that_cannot_be_written_names_the_users_file(qtbot, window, recording_path,
                                                               monkeypatch):
    """A user trial: the error named a hidden temporary file ('.labels.csv.oxbrr_ft.tmp')."""
    from sleepscorer.gui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(text))
    open_and_score(qtbot, window, recording_path)
    assert not window.files.export_csv("/proc/nope/labels.csv")
    assert len(shown) == 1 and "could not write /proc/nope/labels.csv" in shown[0]
    assert ".tmp" not in shown[0]


def test_export_dialogs_open_where_the_last_export_went(qtbot, window, recording_path, tmp_path,
                                                        monkeypatch):
    from sleepscorer.gui import file_actions

    open_and_score(qtbot, window, recording_path)
    offered = []

    def cancelled_dialog(_parent, _title, start, _filters):
        offered.append(start)
        return "", ""
    monkeypatch.setattr(file_actions.QFileDialog, "getSaveFileName", cancelled_dialog)
    window.files.export_csv()
    assert Path(offered[-1]).parent == recording_path.parent  # first: beside the recording
    labels = tmp_path / "labels-folder"
    labels.mkdir()
    assert window.files.export_csv(labels / "mouse.csv")
    window.files.export_bids()
    assert Path(offered[-1]) == labels / f"{recording_path.stem}_events.tsv"
    window.settings.export_folder = str(tmp_path / "gone")  # a folder since removed
    window.files.export_statistics()
    assert Path(offered[-1]).parent == recording_path.parent
