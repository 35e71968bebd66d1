"""Scoring > Channels...: with two EEG channels the app said "another can be chosen" and gave no
way to choose (user trial). The menu opens the channel dialog on the open recording; a choice
re-scores the epochs no person set and is kept with the session, so a reopening uses it."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog

from sleepscorer.gui.channel_dialog import ChannelDialog
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score, wait_scored
from tests.two_eeg import write_two_eeg_edf


def _channels_action(window) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text() == "C&hannels...")


def test_the_channels_menu_chooses_the_scored_eeg(qtbot, window, tmp_path, isolated, monkeypatch):
    isolated.score.pattern = False  # the bundled model's own labels: EEG1 is noise
    path, truth = write_two_eeg_edf(tmp_path / "twoeeg.edf")
    session = open_and_score(qtbot, window, path)
    assert session.recording.eeg.name == "EEG1"
    assert any("choose another with Scoring > Channels... in the app" in t
               for t in window.warnings.texts())
    session.hypnogram.set_stage(5, 15, Stage.REM)  # a person's labels survive the re-score
    offered = []

    def answer(dialog):
        offered.append((dialog.eeg_box.currentData(), dialog.emg_box.currentData()))
        dialog.choose("EEG2", "EMG")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ChannelDialog, "exec", answer)
    _channels_action(window).trigger()
    qtbot.waitUntil(lambda: len(isolated.score.calls) == 2 and not window.files.busy(),
                    timeout=60000)
    assert offered == [("EEG1", "EMG")]  # pre-filled with the roles in use
    now = window.session
    assert now.recording.eeg.name == "EEG2" and now.recording.emg.name == "EMG"
    first, second = (r.stages for r in isolated.score.results)
    truth_stages = np.asarray(truth.stages)
    assert (first == truth_stages).mean() < 0.6 < 0.8 < (second == truth_stages).mean()
    stages = np.asarray(now.hypnogram.stages)
    assert (stages[5:15] == Stage.REM).all()  # the person's labels are kept
    model = np.r_[0:5, 15:len(stages)]
    assert (stages[model] == second[model]).mean() > 0.95  # the rest is EEG2's scoring
    assert any("EEG EEG2 is scored, as chosen" in t for t in window.warnings.texts())

    window.files.open_path(path)  # reopened: the choice is remembered, nothing asked
    qtbot.waitUntil(lambda: window.session is not now and not window.files.busy(), timeout=30000)
    wait_scored(qtbot, window)
    assert window.session.recording.eeg.name == "EEG2" and len(offered) == 1
    assert (np.asarray(window.session.hypnogram.stages)[5:15] == Stage.REM).all()
