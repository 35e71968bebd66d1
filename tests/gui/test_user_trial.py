"""Defects a user trial of the app found (session 12): each test drives the real window."""

from __future__ import annotations

import numpy as np

from sleepscorer.gui.settings import Settings
from sleepscorer.hypnogram import Source
from tests.gui.conftest import open_and_score, wait_scored


def test_the_rescore_button_before_any_recording_says_what_to_do(qtbot, window):
    window.model_panel.button.click()  # raised AttributeError on the empty window
    assert "open a recording first" in window.statusBar().currentMessage()


def test_a_rescore_replaces_the_last_scorings_notes(qtbot, window, recording_path, isolated):
    isolated.score.warnings = ["12 s of REM with no NREM before it scored Wake"]
    open_and_score(qtbot, window, recording_path)
    assert any("12 s of REM" in t for t in window.warnings.texts())
    isolated.score.warnings = []  # e.g. REM from Wake now allowed: the note no longer holds
    window.files.start_scoring(overwrite=False)
    qtbot.waitUntil(lambda: len(isolated.score.calls) == 2 and not window.files.busy())
    wait_scored(qtbot, window)
    assert not any(t.startswith("scoring:") for t in window.warnings.texts())


def test_the_channel_dialog_needs_two_different_channels(qtbot, tmp_path):
    from sleepscorer.gui import backend
    from sleepscorer.gui.channel_dialog import ChannelDialog
    from tests.gui.conftest import write_edf

    path = write_edf(tmp_path / "unnamed.edf", labels=("Channel1", "Channel2"))
    dialog = ChannelDialog(backend.load_recording(path=path))
    qtbot.addWidget(dialog)
    assert dialog.ok.isEnabled()  # its guess: Channel1 is EEG, Channel2 EMG
    assert dialog.roles() == {"Channel1": backend.ChannelKind.EEG,
                              "Channel2": backend.ChannelKind.EMG}
    dialog.choose("Channel2", "Channel2")  # one channel cannot be both
    assert not dialog.ok.isEnabled() and not dialog.missing.isHidden()
    dialog.choose("Channel2", None)
    assert dialog.ok.isEnabled() and dialog.missing.isHidden()
    assert dialog.roles() == {"Channel2": backend.ChannelKind.EEG}


def test_the_channel_dialog_says_which_channel_is_flat(qtbot, tmp_path):
    """A user trial on the MiSleep EDF: the chooser offered Channel1 as EEG with no word that
    it is flat from 32 s on; the warning came only after scoring."""
    from sleepscorer.gui import backend
    from sleepscorer.gui.channel_dialog import ChannelDialog
    from tests.flat_electrode import flat_eeg_edf

    rec = backend.load_recording(path=flat_eeg_edf(tmp_path / "lost.edf", 40))
    dialog = ChannelDialog(rec)
    qtbot.addWidget(dialog)
    items = [dialog.eeg_box.itemText(i) for i in range(dialog.eeg_box.count())]
    assert items[0] == "EEG1 (EEG, 256 Hz; flat from 40 s to the end (80 s of 120 s))"
    assert items[1] == "EMG1 (EMG, 256 Hz)"


def test_a_file_that_is_no_model_is_said_and_the_model_in_use_kept(qtbot, window, tmp_path):
    junk = tmp_path / "labels.safetensors"
    junk.write_text("epoch,stage\n0,Wake\n")
    task = window.models.use_model(junk)
    qtbot.waitUntil(lambda: not window.models.tasks and task not in window.models.tasks)
    assert "cannot use it as a model" in window.statusBar().currentMessage()
    assert any(t.startswith("models:") for t in window.warnings.texts())
    assert Settings().active_model is None  # the bundled model still scores


def test_a_reopened_session_knows_whether_its_labels_are_exported(qtbot, window, recording_path,
                                                                  isolated, tmp_path):
    """Exported, closed and reopened unchanged: nothing to ask. Labelled after the export:
    the CSV is stale, and closing the reopened recording asks (it did not)."""
    from tests.gui.test_recovery import reopen

    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(5, 15, 2)
    assert window.files.export_csv(tmp_path / "labels.csv")
    window.close()
    second = reopen(qtbot, recording_path)
    assert not second.session.dirty
    second.session.hypnogram.set_stage(40, 45, 1)
    isolated.save = "discard"
    second.close()
    third = reopen(qtbot, recording_path)
    assert third.session.dirty
    third.session.hypnogram.set_stage(40, 45, 1)  # the same label again changes nothing
    assert third.session.dirty
    third.files.shutdown()


def test_the_key_of_a_stage_not_in_use_says_so(qtbot, window, recording_path):
    from PySide6.QtCore import Qt

    from sleepscorer.stages import Stage

    session = open_and_score(qtbot, window, recording_path)
    window.settings.stages = (Stage.WAKE, Stage.NREM, Stage.REM)  # MA and Artifact off
    window._show_stages_in_use()
    before = session.hypnogram.stages.copy()
    session.click(20.5)
    qtbot.keyClick(window, Qt.Key.Key_4)  # MA: was silently ignored (its action was hidden)
    assert (session.hypnogram.stages == before).all()
    assert "MA is not in use" in window.statusBar().currentMessage()
    assert window.label_actions[Stage.MA].text().endswith("(not in use)")


def test_channel_roles_chosen_once_are_used_on_reopening(qtbot, window, tmp_path, monkeypatch):
    """The role question came back with the default guess on every reopening; the choice is
    now kept with the session and used, and Scoring > Channels... offers it to change."""
    from PySide6.QtWidgets import QDialog

    from sleepscorer.gui.channel_dialog import ChannelDialog
    from tests.gui.conftest import write_edf

    path = write_edf(tmp_path / "unnamed.edf", labels=("Channel1", "Channel2"))
    offered = []

    def answer(dialog, eeg):
        offered.append(dialog.eeg_box.currentData())
        dialog.choose(eeg, None)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ChannelDialog, "exec", lambda d: answer(d, "Channel2"))
    window.files.open_path(path)
    wait_scored(qtbot, window)
    first = window.session
    window.files.open_path(path)  # reopened: last time's choice is used, nothing asked
    qtbot.waitUntil(lambda: window.session is not first and not window.files.busy(),
                    timeout=20000)
    assert offered == ["Channel1"] and window.session.recording.eeg.name == "Channel2"
    monkeypatch.setattr(ChannelDialog, "exec", lambda d: answer(d, "Channel1"))
    window.files.channels.choose()
    qtbot.waitUntil(lambda: window.session.recording.eeg.name == "Channel1"
                    and not window.files.busy(), timeout=20000)
    assert offered == ["Channel1", "Channel2"]  # offered as in use


def test_an_unreadable_time_says_how_to_write_one():
    import pytest

    from sleepscorer.gui.time_axis import parse_time

    assert parse_time("1:05:30") == 3930 and parse_time("930 s") == 930
    with pytest.raises(ValueError, match="give hh:mm:ss, mm:ss or seconds"):
        parse_time("banana")  # was Python's "could not convert string to float"


def test_changed_signals_say_a_rescore_applies_them(qtbot, window, recording_path):
    open_and_score(qtbot, window, recording_path)
    panel = window.model_panel
    panel.modality.setCurrentIndex(1)
    assert "Ctrl+R re-scores" in panel.info.text()
    window.files.start_scoring()
    qtbot.waitUntil(lambda: not window.files.busy() and "last scored" in panel.info.text(), timeout=60000)
    assert "alone" in panel.info.text()  # which signal the labels came from


def test_times_in_the_statistics_read_as_h_mm_ss():
    from sleepscorer.gui.statistics_panel import duration_text

    assert duration_text(570) == "0:09:30" and duration_text(20556) == "5:42:36"
    assert duration_text(2) == "0:00:02" and duration_text(2.5) == "0:00:02.5"


def test_a_flat_electrode_is_listed_once_after_scoring(qtbot, window, tmp_path):
    """The reader's line ("channel EEG1 is flat from ...") and the scorer's gate line both
    listed the same lost electrode; after scoring the gate's more exact line stands alone."""
    import edfio
    import numpy as np

    from tests.gui.conftest import RATE

    n = int(RATE * 120)
    t = np.arange(n) / RATE
    eeg = 50 * np.sin(2 * np.pi * 2 * t) + 10 * np.random.default_rng(1).normal(size=n)
    eeg[int(RATE * 40):] = 0.0
    emg = 20 * np.random.default_rng(2).normal(size=n)
    path = tmp_path / "lost-electrode.edf"
    edfio.Edf([edfio.EdfSignal(x, RATE, label=name, physical_dimension="uV",
                               physical_range=(-500, 500))
               for name, x in (("EEG1", eeg), ("EMG1", emg))]).write(path)
    window.files.open_path(path)
    wait_scored(qtbot, window)
    flat_lines = [t for t in window.warnings.texts() if "EEG1" in t and "flat" in t]
    assert len(flat_lines) == 1 and flat_lines[0].startswith("scoring: EEG EEG1 flat")


def test_a_dropped_scoring_export_stays_model_labels(qtbot, window, recording_path, tmp_path):
    """Session 13's trial: the app's own exported scoring, dropped back on the window, turned
    every epoch into a person's label (a fine-tuning target). A label file's reading notes
    (here: it is shorter than the recording) were shown nowhere."""
    import numpy as np

    from sleepscorer.hypnogram import Source

    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    hyp.set_stage(0, 3, hyp.stages[0] % 3 + 1)  # a person's correction before the import
    out = tmp_path / "scored.csv"
    assert window.files.export_csv(out)
    rows = out.read_text().splitlines()
    out.write_text("\n".join(rows[:-50]) + "\n")  # a shorter file: the reader pads and says so
    window.files.dropped(out)
    assert int(hyp.is_person_labelled().sum()) == 3
    assert (hyp.sources[3:] == Source.MODEL).all() and np.isfinite(hyp.confidence[3:]).all()
    message = window.statusBar().currentMessage()
    assert ("imported 3 person-set and 247 model label(s) from scored.csv (0 relabelled, 3 only "
            "marked as imported)") \
        in message and "1 note(s) in" in message
    assert any(t.startswith("scored.csv (imported):") for t in window.warnings.texts())
    window.session.undo()  # the import taken back: its notes describe nothing shown
    assert not any(t.startswith("scored.csv") for t in window.warnings.texts())
    window.session.redo()
    assert any(t.startswith("scored.csv (imported):") for t in window.warnings.texts())


def test_a_comparisons_notes_leave_with_it(qtbot, window, recording_path, tmp_path):
    """Session 13's note: the Warnings panel kept a compared file's notes after another file
    replaced the comparison."""
    session = open_and_score(qtbot, window, recording_path)
    short, full = tmp_path / "short.csv", tmp_path / "full.csv"
    assert window.files.export_csv(full)
    rows = full.read_text().splitlines()
    short.write_text("\n".join(rows[:-50]) + "\n")
    assert window.files.labels.compare_with(short)
    assert any(t.startswith("short.csv (compared):") for t in window.warnings.texts())
    assert window.files.labels.compare_with(full)
    assert not any(t.startswith("short.csv") for t in window.warnings.texts())
    assert window.comparison[1] == "full.csv" and session.hypnogram is window.session.hypnogram


def test_untimed_labels_are_offered_at_the_epoch_length_that_covers(qtbot, window, recording_path,
                                                                      tmp_path, monkeypatch):
    """Session 13's note: the app could not be told that an AccuSleep file holds 4-s labels,
    which then covered the first quarter of the recording. It now asks, and reads them so."""
    from sleepscorer.gui import dialogs
    from sleepscorer.stages import Stage

    session = open_and_score(qtbot, window, recording_path)
    n = len(session.hypnogram)
    accu = tmp_path / "accu4.csv"
    codes = ["2" if (i // 10) % 2 else "3" for i in range(n // 4)]  # 40-s bouts: NREM (3), Wake (2)
    accu.write_text("brain_state\n" + "\n".join(codes) + "\n")
    asked = []
    monkeypatch.setattr(dialogs, "ask_file_epoch_length",
                        lambda _w, name, length, note: asked.append((name, length, note)) or True)
    window.files.labels.import_labels(accu)
    assert asked == [("accu4.csv", 4.0, "its labels cover only 25% of the recording")]
    hyp = session.hypnogram
    assert hyp.is_person_labelled()[:(n // 4) * 4].all()
    assert hyp.stages[0] == hyp.stages[39] == Stage.NREM and hyp.stages[40] == Stage.WAKE
    assert "accu4.csv (imported): read as one label per 4 s, as chosen" in " ".join(
        window.warnings.texts())  # the choice is on record while its labels are shown
    window.files.labels.import_labels(accu)  # the same again changes nothing: said, not undoable
    assert window.statusBar().currentMessage().startswith("nothing imported from accu4.csv")
    window.session.undo()
    assert not hyp.is_person_labelled().any()  # the one real import was undone, nothing else


def test_a_key_labels_only_what_is_in_view(qtbot, window, recording_path):
    """Session 14's review trial: an overview click moved the view but not the selection, so
    the next key labelled an epoch off screen; after panning away, the same."""
    from PySide6.QtCore import Qt

    from sleepscorer.stages import Stage

    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    session.click(20.5)
    window.overview.jumpRequested.emit(250.0)  # "jump there": the epoch there is selected
    assert (session.start, session.stop) == (250, 251)
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert hyp.stages[250] == Stage.REM and hyp.sources[20] == Source.MODEL
    before = hyp.stages.copy()
    window.trace_view.set_x_range(100.0, 130.0)  # panned away from the selection (251)
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert np.array_equal(hyp.stages, before)
    assert "out of view, so nothing was labelled" in window.statusBar().currentMessage()
    assert window.trace_view.x_range() == (100.0, 130.0)  # and the view stays


def test_page_down_shows_the_next_window_whole(qtbot, window, recording_path):
    """Session 14's review trial: PageDown paged from the selection, so with epoch 29 selected
    in a 0-30 s view it showed 44.5-74.5 and seconds 30-44.5 were never seen."""
    from PySide6.QtCore import Qt

    session = open_and_score(qtbot, window, recording_path)
    window.trace_view.set_x_range(0.0, 30.0)
    session.select(29)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    t0, t1 = window.trace_view.x_range()
    assert abs(t0 - 30.0) < 1e-6 and abs(t1 - 60.0) < 1e-6 and session.start == 30
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    t0, _ = window.trace_view.x_range()
    assert abs(t0) < 1e-6 and session.start == 0


def test_the_position_stays_visible_beside_a_message(qtbot, window, recording_path):
    """Session 14's review trial: any status message hid the selection's readout."""
    session = open_and_score(qtbot, window, recording_path)
    window.statusBar().showMessage("a passing message", 10000)
    session.select(12)
    qtbot.waitUntil(lambda: window.position.text().startswith("epoch 12 "), timeout=3000)
    assert window.position.isVisible()


def test_a_flat_electrodes_artifact_is_the_signal_checks_not_a_model_doubt(qtbot, window, tmp_path,
                                                                           isolated):
    """A user trial on the MiSleep EDF: its 570 flat seconds read "Artifact (model,
    confidence 0.50)" and made 577 of the "low-confidence" epochs `N` stops at."""
    from tests.flat_electrode import flat_eeg_edf
    from tests.gui.conftest import RATE

    isolated.score.pattern = False  # the real gate on the real scoring
    session = open_and_score(qtbot, window, flat_eeg_edf(tmp_path / "lost.edf", 40, int(RATE)))
    session.select(80)
    assert "Artifact (signal check: EEG flat)" in session.position_text()
    assert "confidence" not in session.position_text()
    low = session.review.low_confidence_mask()
    assert not low[41:].any()  # N never stops inside the lost electrode's stretch
    assert "below 60% confidence" in window.statusBar().currentMessage()
    session.hypnogram.set_stage(80, 81, session.hypnogram.stages[80])  # a person agrees
    session.select(80)
    assert "(you; EEG flat)" in session.position_text()


def test_an_import_asks_before_it_relabels_your_own_labels(qtbot, window, recording_path,
                                                           tmp_path, isolated):
    """A user trial: six epochs labelled REM by hand became "NREM (imported)" when a file
    was imported, unasked; the status said only "1800 epoch(s) changed"."""
    from sleepscorer.hypnogram import Hypnogram, Source
    from sleepscorer.io.labels import write_labels_csv
    from sleepscorer.stages import Stage

    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    n = len(hyp)
    theirs = tmp_path / "theirs.csv"
    write_labels_csv(Hypnogram.from_arrays(np.full(n, Stage.NREM)), theirs)  # a person's
    hyp.set_stage(10, 16, Stage.REM)
    isolated.keep_mine = "keep"
    window.files.labels.import_labels(theirs)
    assert isolated.asked[-1] == ("keep mine", 6)
    assert (hyp.stages[10:16] == Stage.REM).all() and (hyp.sources[10:16] == Source.EXPERT).all()
    assert (hyp.stages[16:] == Stage.NREM).all()
    assert "your 6 differing label(s) kept" in window.statusBar().currentMessage()
    session.undo()
    isolated.keep_mine = "replace"
    window.files.labels.import_labels(theirs)
    assert (hyp.stages == Stage.NREM).all() and "6 of your labels replaced" in \
        window.statusBar().currentMessage()
    session.undo()
    isolated.keep_mine = "cancel"
    before = hyp.stages.copy()
    window.files.labels.import_labels(theirs)
    assert (hyp.stages == before).all()


def test_a_session_left_before_scoring_is_not_called_restored(qtbot, window, recording_path,
                                                             tmp_path, isolated):
    """A user trial: a recording left while it was being scored stopped without a word, and
    opened again read "labels restored from your last session" though it held no label."""
    from tests.gui.conftest import write_edf

    isolated.score.delay = 60.0  # long enough to leave it while it is scored
    window.files.open_path(recording_path)
    qtbot.waitUntil(lambda: window.session is not None and window.files.busy(), timeout=20000)
    other = write_edf(tmp_path / "other.edf")
    window.files.open_path(other)  # its scoring stops the first's, and is slow too
    qtbot.waitUntil(lambda: window.files.path == other, timeout=20000)
    assert "scoring of mouse1.edf stopped as you left it" in window.statusBar().currentMessage()
    window.files.open_path(recording_path)
    qtbot.waitUntil(lambda: window.files.path == recording_path, timeout=20000)
    assert "restored" not in window.model_panel.info.text()
    isolated.score.delay = 0.0
    wait_scored(qtbot, window)
