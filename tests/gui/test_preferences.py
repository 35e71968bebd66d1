"""Edit > Preferences: export epoch, threshold, optional stages, colours; all persisted."""

from __future__ import annotations

from PySide6.QtCore import Qt

from sleepscorer.gui.preferences_dialog import PreferencesDialog
from sleepscorer.gui.settings import Settings
from sleepscorer.stages import STAGE_COLORS, Stage
from tests.gui.conftest import open_and_score


def test_preferences_apply_and_persist(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    dialog = PreferencesDialog(window.settings, window)
    qtbot.addWidget(dialog)
    dialog.export_epoch.setCurrentIndex(dialog.export_epoch.findData(2.5))
    dialog.threshold.setValue(0.8)
    dialog.optional[Stage.MA].setChecked(False)
    dialog.set_colour(Stage.REM, "#ff0000")
    dialog.accept()
    window.apply_settings()

    fresh = Settings()
    assert fresh.export_epoch_length == 2.5 and fresh.low_confidence == 0.8
    assert Stage.MA not in fresh.stages and Stage.ARTIFACT in fresh.stages
    assert fresh.colours[Stage.REM] == "#FF0000"
    assert session.low_confidence == 0.8
    assert window.trace_view.confidence.threshold.value() == 0.8
    assert Stage.MA not in window.legend.chips and Stage.ARTIFACT in window.legend.chips
    rem = [i for i in range(len(session.hypnogram))
           if session.hypnogram.stages[i] == Stage.REM][0]
    assert tuple(window.trace_view.rgba[rem, :3]) != (0x00, 0x9E, 0x73)  # recoloured

    session.select(5)
    before = session.hypnogram.stages[5]
    qtbot.keyClick(window, Qt.Key.Key_4)  # MA is off: the key does nothing
    assert session.hypnogram.stages[5] == before
    qtbot.keyClick(window, Qt.Key.Key_5)  # Artifact is on
    assert session.hypnogram.stages[5] == Stage.ARTIFACT
    assert Stage.MA not in window.statistics.stats.states


def test_colour_blind_safe_reset(qtbot, window):
    window.settings.set_colour(Stage.WAKE, "#123456")
    dialog = PreferencesDialog(window.settings, window)
    qtbot.addWidget(dialog)
    assert dialog.colours[Stage.WAKE] == "#123456"
    dialog.reset_colours()
    assert dialog.colour_buttons[Stage.WAKE].text() == STAGE_COLORS[Stage.WAKE]
    dialog.accept()
    assert Settings().colours == STAGE_COLORS


def test_core_stages_cannot_be_switched_off(qtbot, window):
    window.settings.stages = (Stage.ARTIFACT,)
    assert window.settings.stages == (Stage.WAKE, Stage.NREM, Stage.REM, Stage.ARTIFACT)


def test_scoring_preferences_reach_the_model_and_notes_are_shown(qtbot, window, recording_path,
                                                                 isolated):
    isolated.score.warnings = ["12 s of REM with no NREM before it scored Wake"]
    open_and_score(qtbot, window, recording_path)
    from sleepscorer_model.postprocess import REM_RULE

    assert isolated.score.rem_rules[-1] is REM_RULE  # the model's default rule applies
    assert "12 s of REM" in window.statusBar().currentMessage()
    assert "12 s of REM" in window.model_info.toolTip()
    dialog = PreferencesDialog(window.settings, window)
    qtbot.addWidget(dialog)
    assert not dialog.rem_from_wake.isChecked() and not dialog.ignore_lab_gate.isChecked()
    assert not dialog.rem_keeps_tone.isChecked()
    assert isolated.score.lab_gates[-1] is True and isolated.score.emg_rules[-1] is True
    dialog.rem_from_wake.setChecked(True)
    dialog.ignore_lab_gate.setChecked(True)
    dialog.rem_keeps_tone.setChecked(True)  # a lab studying REM without atonia
    dialog.accept()
    assert Settings().rem_from_wake and Settings().ignore_lab_gate and Settings().rem_keeps_tone
    window.files.start_scoring()
    qtbot.waitUntil(lambda: len(isolated.score.rem_rules) == 2, timeout=5000)
    assert isolated.score.rem_rules[-1] is None and isolated.score.lab_gates[-1] is False
    assert isolated.score.emg_rules[-1] is False
