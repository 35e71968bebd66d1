"""Never lose work: the persistent session after a crash, an export, a close; a changed
recording; revert; the question on close only for a person's changes; settings."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from sleepscorer.gui.main_window import MainWindow
from sleepscorer.gui.settings import Settings
from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score, write_edf


def reopen(qtbot, path):
    """A fresh window (a new run of the app) opening `path`; waits until it settled."""
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.files.open_path(path)
    qtbot.waitUntil(lambda: win.session is not None and not win.files.busy(), timeout=60000)
    return win


def test_crash_then_reopen_every_edit(qtbot, window, recording_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    session.drag(30.0, 49.9)
    qtbot.keyClick(window, Qt.Key.Key_4)
    session.click(60.5)
    qtbot.keyClick(window, Qt.Key.Key_5)
    expected = session.hypnogram.stages.copy()
    sources = session.hypnogram.sources.copy()
    confidence = session.hypnogram.confidence.copy()
    window.files.may_close = lambda: True  # the app "crashes": no snapshot, no question
    session._snapshot.stop()
    window.close()

    second = reopen(qtbot, recording_path)
    hyp = second.session.hypnogram
    assert (hyp.stages == expected).all() and (hyp.sources == sources).all()
    assert np.allclose(hyp.confidence, confidence, equal_nan=True)
    assert (hyp.stages[30:50] == Stage.MA).all() and hyp.stages[60] == Stage.ARTIFACT
    assert isolated.score.calls == ["both"]  # restored model labels are not re-scored
    assert not [a for a in isolated.asked if a[0] in ("restore", "save")]  # nothing to ask
    assert "reopened your session" in second.statusBar().currentMessage()
    assert second.session.dirty  # never exported: closing will offer to export it
    second.files.shutdown()


def test_label_export_label_more_close_reopen_with_the_real_model(qtbot, window,
                                                                   recording_path, isolated,
                                                                   tmp_path):
    """The data-loss report of issue 16, end to end through the real scoring path."""
    isolated.score.pattern = False
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    model_stages = hyp.stages.copy()
    assert (hyp.sources == Source.MODEL).all()
    session.drag(10.0, 29.9)
    qtbot.keyClick(window, Qt.Key.Key_3)  # REM
    out = tmp_path / "export.csv"
    assert window.files.export_csv(out)
    exported = out.read_text()
    assert (hyp.stages[10:30] == Stage.REM).all()  # the export changed nothing held
    session.drag(100.0, 119.9)
    qtbot.keyClick(window, Qt.Key.Key_2)  # NREM, after the export
    session.click(200.5)
    qtbot.keyClick(window, Qt.Key.Key_5)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the last
    expected = hyp.stages.copy(), hyp.sources.copy()
    isolated.save = "discard"  # close without exporting again
    window.close()
    assert ("save",) in isolated.asked and out.read_text() == exported

    second = reopen(qtbot, recording_path)
    again = second.session.hypnogram
    assert np.array_equal(again.stages, expected[0])
    assert np.array_equal(again.sources, expected[1])
    assert (again.stages[10:30] == Stage.REM).all() and (again.stages[100:120] == Stage.NREM).all()
    assert again.stages[200] == model_stages[200] and again.sources[200] == Source.MODEL
    info = second.model_panel.info.text()  # says where the labels came from, not "no scoring"
    assert info.startswith("labels restored from your last session (scored by ") and "sdreamer" in info
    assert isolated.score.calls == ["both"]  # not scored afresh over the expert's work
    # labelled after the export: the CSV is stale, and a reopened session still knows it
    assert second.session.dirty
    asked = len(isolated.asked)
    assert second.files.may_close()  # "discard" answers the question
    assert ("save",) in isolated.asked[asked:]
    second.files.score_again()  # re-scoring keeps the expert's labels (the default answer)
    qtbot.waitUntil(lambda: not second.files.busy(), timeout=60000)
    assert (again.stages[10:30] == Stage.REM).all() and (again.sources[10:30] == Source.EXPERT).all()
    second.files.shutdown()


def test_revert_to_model_scoring_keeps_a_copy_and_undoes(qtbot, window, recording_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    model = hyp.stages.copy()
    hyp.set_stage(0, 10, Stage.ARTIFACT)
    window.files.revert_to_model()
    assert ("revert", 10) in isolated.asked
    assert np.array_equal(hyp.stages, model) and (hyp.sources == Source.MODEL).all()
    aside = list((window.files.store.aside_dir).iterdir())
    assert len(aside) == 1 and (aside[0] / "snapshot.npz").exists()
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (hyp.stages[:10] == Stage.ARTIFACT).all()
    window.files.show_saved_session()
    assert any(a[0] == "info" and "10 labelled by a person" in a[1] for a in isolated.asked)


def test_changed_recording_is_said_and_scored_afresh(qtbot, window, recording_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(0, 10, Stage.REM)
    window.close()
    write_edf(recording_path, minutes=4)  # another recording under the same name
    second = reopen(qtbot, recording_path)
    qtbot.waitUntil(lambda: (second.session.hypnogram.sources == Source.MODEL).any(), timeout=60000)
    hyp = second.session.hypnogram
    assert len(hyp) == 240 and not (hyp.sources == Source.EXPERT).any()
    assert any("has changed since its saved session" in t for t in second.warnings.texts())
    assert second.warnings_dock.isVisibleTo(second)
    assert len(list(second.files.store.aside_dir.iterdir())) == 1
    second.files.shutdown()


def test_saved_epoch_layout_wins_over_the_setting(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(0, 10, Stage.REM)
    window.close()
    window.settings.epoch_length = 2.0
    second = reopen(qtbot, recording_path)
    hyp = second.session.hypnogram
    assert hyp.epoch_length == 1.0 and len(hyp) == 300 and (hyp.stages[:10] == Stage.REM).all()
    second.files.shutdown()


def test_close_with_unsaved_work_asks_and_keeps_it(qtbot, window, recording_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(0, 10, Stage.REM)
    isolated.save = "cancel"
    window.close()
    assert window.isVisible() and ("save",) in isolated.asked
    isolated.save = "discard"
    window.close()
    assert not window.isVisible()
    second = reopen(qtbot, recording_path)
    assert (second.session.hypnogram.stages[:10] == Stage.REM).all()  # nothing was thrown away
    second.files.shutdown()


def test_no_labels_changed_question_when_only_the_model_scored(qtbot, window, recording_path,
                                                              isolated, tmp_path):
    open_and_score(qtbot, window, recording_path)
    other = write_edf(tmp_path / "mouse2.edf", minutes=2)
    window.files.open_path(other)
    qtbot.waitUntil(lambda: window.session is not None and len(window.session.hypnogram) == 120
                    and not window.files.busy(), timeout=60000)
    window.session.hypnogram.set_stage(0, 3, Stage.REM)
    window.session.undo()  # changed and changed back: nothing to ask about
    window.close()
    assert ("save",) not in isolated.asked and not window.isVisible()


def test_settings_persist(qtbot, window, recording_path):
    open_and_score(qtbot, window, recording_path)
    window.settings.epoch_length = 2.0
    window.settings.sync()
    fresh = Settings()
    assert fresh.recent_files[0] == str(recording_path.resolve())
    assert fresh.epoch_length == 2.0 and fresh.last_folder == str(recording_path.parent)


def test_open_recent_brings_the_session_back(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(5, 15, Stage.NREM)
    window.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second._fill_recent()
    actions = second.recent_menu.actions()
    assert actions[0].text() == str(recording_path.resolve())
    actions[0].trigger()
    qtbot.waitUntil(lambda: second.session is not None and not second.files.busy(),
                    timeout=60000)
    hyp = second.session.hypnogram
    assert (hyp.stages[5:15] == Stage.NREM).all() and (hyp.sources[5:15] == Source.EXPERT).all()
    second.files.shutdown()


def test_unwritable_data_folder_opens_and_says_work_is_not_kept(qtbot, window, recording_path,
                                                                tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the sessions folder should be")
    window.files.store.directory = blocker / "sessions"
    session = open_and_score(qtbot, window, recording_path)
    assert session.store is None
    assert any("NOT being saved" in t for t in window.warnings.texts())
    session.hypnogram.set_stage(0, 3, Stage.REM)
    window.files.show_saved_session()  # no crash: says there is none
