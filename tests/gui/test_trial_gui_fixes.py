"""Defects of the second user trial, each driven through the real widgets: closing the
fine-tune dialog while it runs, corrections folders left by runs that kept no model, Go to
time accepting 9:99, the title's unexported marker, the close question, clipped text and an
empty Warnings dock."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog, QMessageBox

from sleepscorer.errors import Cancelled, SleepScorerError
from sleepscorer.gui import backend, dialogs, model_actions, workers
from sleepscorer.gui.dialogs import ask_save as real_ask_save  # before conftest answers it
from sleepscorer.gui.settings import Settings
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score, write_edf
from tests.gui.test_models import corrected_with_a_base, entry, wait_listed

SLOW_STOP_S = 1.5  # a training step that ends before the worker sees the cancel


def slow_to_stop(*, folders, base, out_path, config, task):
    while not task.cancelled():
        time.sleep(0.01)
    time.sleep(SLOW_STOP_S)
    raise Cancelled()


def failing(*, folders, base, out_path, config, task):
    raise SleepScorerError("the corrections hold one class only")


@pytest.fixture
def fake_corrections(monkeypatch):
    """Corrections without torch: a manifest read back, folders made as export would."""
    def export(*, recording, hypnogram, out_dir, card):
        Path(out_dir).mkdir(parents=True)
        (Path(out_dir) / "manifest.json").write_text("{}")
        return {}

    monkeypatch.setattr(backend, "export_corrections", export)
    monkeypatch.setattr(backend, "read_manifest", lambda *, folder: {  # the real shape
        "classes": ["WAKE", "NREM", "REM"], "label_counts": {"WAKE": 30, "NREM": 30},
        "recordings": [{"id": "mouse1", "label_counts": {"WAKE": 30, "NREM": 30, "REM": 0},
                        "labelled_epochs": 60, "left_out": {}}]})


def later(qtbot, action) -> QTimer:
    """Run `action()` every 20 ms until it returns True (answers modal dialogs)."""
    timer = QTimer()
    timer.timeout.connect(lambda: action() and timer.stop())
    timer.start(20)
    return timer


# -- 1. the fine-tune dialog ------------------------------------------------------------
def test_closing_a_running_finetune_cancels_without_freezing(qtbot, tmp_path, monkeypatch,
                                                             fake_corrections):
    from sleepscorer.gui.finetune_dialog import FinetuneDialog

    monkeypatch.setattr(workers, "finetune", slow_to_stop)
    models = tmp_path / "models"
    dlg = FinetuneDialog([tmp_path / "corr"], tmp_path / "base.safetensors", models,
                         SimpleNamespace())
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.start_button.click()
    qtbot.waitUntil(dlg.is_running)
    began = time.perf_counter()
    dlg.close_button.click()
    assert time.perf_counter() - began < 0.5  # waited for the worker on the GUI thread: 1.5 s
    assert dlg.isVisible() and "Cancelling" in dlg.status_label.text()
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)  # closing again changes nothing
    assert dlg.isVisible() and not dlg.start_button.isEnabled()
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10000)
    assert QDialog.result(dlg) == QDialog.DialogCode.Rejected and dlg.model_path is None
    assert not models.exists()


@pytest.mark.parametrize("run", [slow_to_stop, failing], ids=["cancelled", "failed"])
def test_a_finetune_that_keeps_no_model_leaves_no_corrections(
        qtbot, window, recording_path, isolated, tmp_path, monkeypatch, fake_corrections, run):
    base, _ = corrected_with_a_base(qtbot, window, recording_path, isolated, tmp_path)
    active = window.settings.active_model
    monkeypatch.setattr(workers, "finetune", run)
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: errors.append(text))
    fixed = datetime(2026, 1, 2, 3, 4, 5)
    monkeypatch.setattr(model_actions, "datetime", SimpleNamespace(now=lambda: fixed))
    corrections = tmp_path / "corrections"
    users = corrections / "mouse1-20260102-030405"  # the user's own export, same second
    users.mkdir(parents=True)
    (users / "manifest.json").write_text("mine")

    opened = []

    def drive() -> bool:
        dlg = window.models.dialog
        if dlg is None or not dlg.isVisible():
            return False
        opened.append(dlg)
        if dlg.task is None:
            dlg.start_button.click()
        elif run is slow_to_stop and dlg.is_running():
            dlg.close_button.click()
            return True
        elif run is failing and "Error" in dlg.status_label.text():
            dlg.close_button.click()
            return True
        return False

    timer = later(qtbot, drive)
    window.models.finetune_dialog()
    qtbot.waitUntil(lambda: bool(opened) and window.models.dialog is None, timeout=20000)
    timer.stop()
    assert not errors  # appending to the user's folder of the same second failed
    assert [p.name for p in corrections.iterdir()] == [users.name]
    assert "nothing was saved" in window.statusBar().currentMessage()
    assert (users / "manifest.json").read_text() == "mine"
    assert window.model_panel.weights == base.path
    assert Settings().active_model == active


# -- 2. Go to time ----------------------------------------------------------------------
def go_to(qtbot, window, text: str) -> None:
    def answer() -> bool:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            return False
        dialog.setTextValue(text)
        dialog.accept()
        return True

    timer = later(qtbot, answer)
    window.activateWindow()  # back from the last dialog (Ctrl+G needs the active window)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    timer.stop()


def test_go_to_refuses_minutes_or_seconds_of_60_or_more(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    session.select(3)
    for text, why in (("9:99", "seconds must be below 60"),
                      ("1:75:00", "minutes must be below 60")):
        go_to(qtbot, window, text)
        assert why in window.statusBar().currentMessage(), text
        assert (session.start, session.stop) == (3, 4)
    go_to(qtbot, window, "2:30")
    assert session.start == session.epoch_at(150)


# -- 3. the title's marker --------------------------------------------------------------
def test_title_marks_labels_changed_since_the_last_export(qtbot, window, recording_path,
                                                          tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    plain, changed = "SleepScorer - mouse1.edf", "SleepScorer - mouse1.edf (changes not exported)"
    assert window.windowTitle() == plain  # model scoring is not a person's change
    session.select(5)
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.windowTitle() == changed  # in words: a "*" read as unsaved work
    assert window.files.export_csv(tmp_path / "out.csv")
    assert window.windowTitle() == plain
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.windowTitle() == changed  # now differs from what was exported


# -- 4. the close question --------------------------------------------------------------
@pytest.mark.parametrize("exported", [False, True])
def test_close_question_names_the_recording(qtbot, exported):
    asked = []

    def answer() -> bool:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            return False
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.Cancel).click()
        return True

    timer = later(qtbot, answer)
    assert real_ask_save(None, "mouse1.edf", exported) == "cancel"
    timer.stop()
    assert "mouse1.edf" in asked[0]
    assert ("since the last export" in asked[0]) == exported
    assert ("not exported yet" in asked[0]) == (not exported)


def test_closing_asks_about_this_recording(qtbot, window, recording_path, isolated, tmp_path):
    """Needs FileActions.may_close to pass the name and `ever_exported` (file_actions.py)."""
    session = open_and_score(qtbot, window, recording_path)
    isolated.save = "cancel"
    session.hypnogram.set_stage(0, 5, Stage.REM)
    window.close()
    assert isolated.save_asked == ("mouse1.edf", False)
    window.files.export_csv(tmp_path / "out.csv")
    session.hypnogram.set_stage(5, 10, Stage.REM)
    window.close()
    assert isolated.save_asked == ("mouse1.edf", True)


# -- 5. clipped text --------------------------------------------------------------------
LONG_NAME = ("sdreamer-seq spectral, weaker contrasts, mixture scaling, atonia and tone "
             "rules (simulated corpus v3)")


def test_long_texts_end_in_an_ellipsis_with_the_whole_in_a_tooltip(qtbot, window, isolated,
                                                                   tmp_path):
    isolated.models.entries[:] = [entry(tmp_path, LONG_NAME, "aaa", bundled=True)]
    window.models.refresh()
    wait_listed(qtbot, window, 1)
    combo = window.model_panel.models
    assert combo.toolTip() == f"bundled: {LONG_NAME}"
    readout = window.model_info
    readout.setText(f"model: {LONG_NAME} on cpu")
    readout.setToolTip("note: something from scoring")
    qtbot.waitUntil(readout.is_elided)
    assert readout.toolTip() == f"model: {LONG_NAME} on cpu\nnote: something from scoring"
    bar = window.statusBar()
    bar.showMessage("scored 1741 epochs; " + "note: a long note from scoring; " * 8)
    assert bar.is_elided() and bar.toolTip() == bar.currentMessage()
    bar.showMessage("short")
    assert bar.toolTip() == ""
    readout.setText("model: short")
    qtbot.waitUntil(lambda: readout.toolTip() == "note: something from scoring")


# -- 6. the Warnings dock ---------------------------------------------------------------
def test_warnings_dock_goes_for_a_recording_without_warnings(qtbot, window, recording_path,
                                                             isolated, tmp_path):
    isolated.score.warnings = ["a note from scoring"]
    open_and_score(qtbot, window, recording_path)
    assert window.warnings_dock.isVisibleTo(window)
    real = isolated.score.real

    def quiet(**kwargs):
        result = real(**kwargs)
        result.warnings = []
        return result

    isolated.score.real = quiet
    isolated.score.warnings = []
    window.files.open_path(write_edf(tmp_path / "mouse2.edf", minutes=4))
    qtbot.waitUntil(lambda: len(isolated.score.results) == 2 and not window.files.busy(),
                    timeout=60000)
    assert window.session.recording.source.name == "mouse2.edf"
    assert window.warnings.texts() == []
    assert not window.warnings_dock.isVisibleTo(window)
    window.warnings_dock.show()  # opened by hand (View menu): says so, not an empty list
    assert window.warnings.empty_label.isVisibleTo(window.warnings)
    assert not window.warnings.list.isVisibleTo(window.warnings)


def test_a_table_recording_asks_for_its_rate(qtbot, window, tmp_path, monkeypatch):
    """A user trial: an AccuSleep-layout CSV could not be opened in the app, whose message asked
    for a command-line flag (--rate); and a labels CSV dropped before any recording gave the
    same message."""
    import numpy as np

    from sleepscorer.gui import dialogs
    from tests.gui.conftest import RATE, wait_scored

    asked = []
    monkeypatch.setattr(dialogs, "ask_rate", lambda parent, name, last: asked.append(name) or RATE)
    rng = np.random.default_rng(0)
    n = int(RATE * 300)
    t = np.arange(n) / RATE
    table = tmp_path / "mouse_table.csv"
    rows = np.column_stack([50 * np.sin(2 * np.pi * 2 * t) + 10 * rng.normal(size=n),
                            10 * rng.normal(size=n)])
    table.write_text("eeg,emg\n" + "\n".join(f"{a:.3f},{b:.3f}" for a, b in rows) + "\n")
    labels = tmp_path / "labels_only.csv"
    labels.write_text("epoch,stage\n0,Wake\n1,NREM\n")
    window.files.dropped(labels)
    assert "holds labels: open its recording first" in window.statusBar().currentMessage()
    assert window.session is None and not asked
    window.files.dropped(table)
    wait_scored(qtbot, window)
    assert asked == ["mouse_table.csv"]
    assert window.session.recording.eeg.rate == RATE
    assert len(window.session.hypnogram) == 300


def test_a_label_key_replaces_nothing_to_confirm(qtbot, window, recording_path):
    """A user trial: "nothing to confirm" stayed in the status bar after the next label
    key (0); a key's outcome replaces the last action's message, as Enter's own does."""
    session = open_and_score(qtbot, window, recording_path)
    session.click(10.5)
    qtbot.keyClick(window, Qt.Key.Key_2)  # a person's label: nothing left to confirm there
    session.click(10.5)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.statusBar().currentMessage() == "nothing to confirm in the selection"
    qtbot.keyClick(window, Qt.Key.Key_0)
    assert window.statusBar().currentMessage() == ""
    session.click(20.5)
    qtbot.keyClick(window, Qt.Key.Key_Return)  # the model's label: confirmed, and said so
    assert window.statusBar().currentMessage() == "confirmed epoch 20"
