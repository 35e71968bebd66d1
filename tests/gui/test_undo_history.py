"""Ctrl+Z after closing and reopening the app, or after a kill -9, undoes the last edits of
the session before: the labels and who set them come back exactly as before each edit. A
history that does not fit is dropped with a warning, the labels kept."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score
from tests.gui.test_kill import CHILD
from tests.gui.test_recovery import reopen
from tests.kill_child import kill_when_ready

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = CTRL | Qt.KeyboardModifier.ShiftModifier


def labels(hyp):
    return hyp.stages.copy(), hyp.sources.copy(), hyp.confidence.copy()


def assert_labels(hyp, expected) -> None:
    stages, sources, confidence = expected
    assert np.array_equal(hyp.stages, stages)
    assert np.array_equal(hyp.sources, sources)  # who set each epoch
    assert np.array_equal(hyp.confidence, confidence, equal_nan=True)


def test_ctrl_z_after_close_and_reopen_gives_back_each_edit(qtbot, window, recording_path,
                                                           isolated):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    before = [labels(hyp)]
    session.drag(30.0, 49.9)
    qtbot.keyClick(window, Qt.Key.Key_3)  # REM
    before.append(labels(hyp))
    session.select(40, 60)
    qtbot.keyClick(window, Qt.Key.Key_Return)  # confirm: the model's 50-59 become a person's
    before.append(labels(hyp))
    session.click(45.5)
    qtbot.keyClick(window, Qt.Key.Key_1)  # Wake inside both
    left = labels(hyp)
    session.click(70.5)
    qtbot.keyClick(window, Qt.Key.Key_5)  # Artifact, then undone: a redo step
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert_labels(hyp, left)
    window.close()  # "discard" answers the question; the session is kept
    assert not window.isVisible() and ("save",) in isolated.asked

    second = reopen(qtbot, recording_path)
    again = second.session.hypnogram
    assert_labels(again, left)
    qtbot.keyClick(second, Qt.Key.Key_Z, CTRL_SHIFT)  # redo, as before closing
    assert again.stages[70] == Stage.ARTIFACT and again.sources[70] == Source.EXPERT
    qtbot.keyClick(second, Qt.Key.Key_Z, CTRL)
    assert_labels(again, left)
    for expected in reversed(before):
        qtbot.keyClick(second, Qt.Key.Key_Z, CTRL)
        assert_labels(again, expected)
    assert second.statusBar().currentMessage() == "undone: REM for epochs 30-49"
    assert (second.session.start, second.session.stop) == (30, 50)  # the view follows
    qtbot.keyClick(second, Qt.Key.Key_Z, CTRL)  # the first scoring is no undo step
    assert second.statusBar().currentMessage() == "nothing to undo"
    assert_labels(again, before[0])
    assert isolated.score.calls == ["both"]  # the reopened labels were not re-scored
    second.files.shutdown()


def test_ctrl_z_after_kill_9_undoes_the_edits_before_the_crash(qtbot, recording_path, tmp_path,
                                                               isolated):
    """The child of test_kill.py: REM 20-39, MA at 50, confirm 80-89, Artifact 100-104
    undone; killed before any snapshot of them."""
    isolated.score.pattern = False
    kill_when_ready(CHILD, recording_path, tmp_path / "data",
                    tmp_path / "child-settings")
    win = reopen(qtbot, recording_path)
    hyp = win.session.hypnogram
    assert not [t for t in win.warnings.texts() if "undo history" in t]
    codes = np.array([int(c) for c in hyp.classes])
    model = codes[hyp.probabilities.argmax(axis=1)], hyp.probabilities.max(axis=1)

    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL_SHIFT)  # the edit undone before the crash
    assert (hyp.stages[100:105] == Stage.ARTIFACT).all()
    assert (hyp.sources[100:105] == Source.EXPERT).all()
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL)  # the confirm
    assert (hyp.sources[80:90] == Source.MODEL).all() and hyp.stages[50] == Stage.MA
    assert np.array_equal(hyp.confidence[80:90], model[1][80:90])
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL)  # MA
    assert hyp.stages[50] == model[0][50] and hyp.sources[50] == Source.MODEL
    assert (hyp.stages[20:40] == Stage.REM).all() and (hyp.sources[20:40] == Source.EXPERT).all()
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL)  # REM
    assert np.array_equal(hyp.stages, model[0]) and (hyp.sources == Source.MODEL).all()
    assert np.array_equal(hyp.confidence, model[1])
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL)
    assert win.statusBar().currentMessage() == "nothing to undo"
    win.files.shutdown()


def test_a_damaged_history_is_dropped_with_a_warning_and_the_labels_kept(qtbot, window,
                                                                        recording_path):
    session = open_and_score(qtbot, window, recording_path)
    session.drag(30.0, 49.9)
    qtbot.keyClick(window, Qt.Key.Key_3)
    session.click(60.5)
    qtbot.keyClick(window, Qt.Key.Key_4)
    left = labels(session.hypnogram)
    history = session.store.history.path
    window.close()
    history.write_text(history.read_text().replace('"start": 60', '"start": -6'))

    second = reopen(qtbot, recording_path)
    again = second.session.hypnogram
    assert_labels(again, left)
    assert any("undo history" in t and "damaged" in t for t in second.warnings.texts())
    qtbot.keyClick(second, Qt.Key.Key_Z, CTRL)
    assert second.statusBar().currentMessage() == "nothing to undo"
    assert_labels(again, left)
    second.files.shutdown()
