"""A QA pass at 1400x900: the bundled and a fine-tuned model read alike in the model list
and the status bar; a valid model added after a junk file left the junk's error shown; a
fine-tuned model's longer card pushed the Re-score button half out of its dock; a junk file
opened over unsaved edits asked about exporting before saying it cannot be opened; "1 runs"."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QFileDialog

from sleepscorer.gui import backend, dialogs
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score, wait_scored, write_edf
from tests.gui.test_models import entry, wait_listed

LONG_NAME = ("sdreamer-seq spectral, weaker contrasts, mixture scaling, atonia and tone "
             "rules, self-training (simulated corpus v3)")


def bundled_and_fine_tuned(tmp_path):
    """The QA pair: the bundled model and one fine-tuned from it, with the card a fine-tune
    writes (its parent's name + " (fine-tuned)", what it learnt from)."""
    base = entry(tmp_path, "sdreamer-seq", "aaa", bundled=True)
    base.card["name"] = base.name = LONG_NAME
    tuned = entry(tmp_path, "sdreamer-seq-finetuned-20261208-0129", "bbb", parent="aaa")
    tuned.card["name"] = tuned.name = f"{LONG_NAME} (fine-tuned)"
    tuned.card["created"] = "2026-12-08T01:29:00"
    tuned.card["training_data"] = {
        "statement": "fine-tuned on 1800 labelled epochs from 1 recording(s): "
                     "lab_a_seed11_animal0.edf; validation before: macro-F1 0.71, kappa 0.74, "
                     "accuracy 0.93, REM F1 0.62; validation after: macro-F1 0.78, kappa 0.80, "
                     "accuracy 0.96, REM F1 0.73 (+2 in the card)"}
    return base, tuned


def shown_at_1400(qtbot, window, isolated, tmp_path):
    window.resize(1400, 900)
    base, tuned = bundled_and_fine_tuned(tmp_path)
    isolated.models.entries[:] = [base, tuned]
    window.models.refresh()
    wait_listed(qtbot, window, 2)
    qtbot.wait(50)  # the docks take their sizes
    return base, tuned


def test_bundled_and_fine_tuned_models_read_apart_at_the_panels_width(qtbot, window, isolated,
                                                                      tmp_path):
    shown_at_1400(qtbot, window, isolated, tmp_path)
    combo = window.model_panel.models
    shown = []
    for i in range(2):
        combo.setCurrentIndex(i)
        shown.append(combo.elider.shown_text(combo))
        assert "…" in shown[-1]  # the name is too long for the panel: it is cut...
        assert combo.toolTip() == combo.itemText(i)  # ... and whole in the tooltip
        assert LONG_NAME in combo.toolTip()
        assert str(window.model_panel.entries[i].path) in combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
    assert shown[0] != shown[1]
    assert shown[0].startswith("bundled: sdr"), shown
    assert shown[1].startswith("fine-tuned: sdr") and shown[1].endswith("(2026-12-08 01:29)")
    assert shown[0].endswith("corpus v3)")  # cut in the middle: the end is kept
    assert combo.view().textElideMode() == combo.elider.mode  # the open list cuts alike
    window.grab().save(str(tmp_path / "models.png"))

    readout = window.model_info  # the status bar's "model: ... on cpu"
    readouts = []
    for name in (LONG_NAME, f"{LONG_NAME} (fine-tuned)"):
        readout.setText(f"model: {name} on cpu")
        qtbot.waitUntil(lambda: readout.is_elided() and readout.width() > 200)
        readouts.append(readout.shown_text())
    assert readouts[0] != readouts[1]
    assert readouts[1].endswith("(fine-tuned) on cpu") and readouts[0].startswith("model: sdr")


def test_a_valid_model_after_a_junk_file_replaces_its_error(qtbot, window, isolated, tmp_path,
                                                           monkeypatch):
    base, tuned = bundled_and_fine_tuned(tmp_path)
    isolated.models.entries[:] = [base]
    window.models.refresh()
    wait_listed(qtbot, window, 1)
    junk = tmp_path / "junkmodel.safetensors"
    junk.write_bytes(b"\xff" * 64)
    chosen = {"path": str(junk)}
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (chosen["path"], "")))
    window.model_panel.add_button.click()
    qtbot.waitUntil(lambda: not window.models.tasks, timeout=30000)
    assert "cannot use it as a model" in window.statusBar().currentMessage()
    assert any(t.startswith("models: ") for t in window.warnings.texts())

    isolated.models.entries[:] = [base, tuned]  # the valid file, listed as the app lists it
    chosen["path"] = str(tuned.path)
    window.model_panel.add_button.click()
    qtbot.waitUntil(lambda: not window.models.tasks, timeout=30000)
    assert window.model_panel.weights == tuned.path
    message = window.statusBar().currentMessage()
    assert message.startswith(f"{tuned.name} scores from now on (Ctrl+R")
    assert "cannot use" not in message
    assert not any(t.startswith("models: ") for t in window.warnings.texts())
    assert not window.warning_count.isVisible()
    window.grab().save(str(tmp_path / "added.png"))


def test_rescore_button_stays_whole_beside_a_long_card_and_the_warnings(qtbot, window,
                                                                       isolated, tmp_path):
    _, tuned = shown_at_1400(qtbot, window, isolated, tmp_path)
    window.warnings.add("mouse.edf", "a warning, so the Warnings dock takes its room")
    panel = window.model_panel
    panel.select(tuned.path)
    panel.show_result(tuned.name, "cpu")
    qtbot.waitUntil(window.warnings_dock.isVisible)
    qtbot.wait(100)
    window.grab().save(str(tmp_path / "card.png"))
    dock = window.findChild(type(window.warnings_dock), "Automatic scoring")
    assert window.height() == 900
    for widget in (panel.button, panel.info, panel.card_button):
        assert widget.isVisible()
        seen = widget.visibleRegion().boundingRect()
        assert seen == widget.rect(), widget  # nothing of it is cut off or scrolled away
        top_left = widget.mapTo(dock, widget.rect().topLeft())
        assert dock.rect().contains(QRect(top_left, widget.size()))
    area = panel.details_area  # the card scrolls instead
    assert area.verticalScrollBar().maximum() > 0
    assert panel.button.mapTo(panel, panel.button.rect().topLeft()).y() >= (
        area.mapTo(panel, area.rect().bottomLeft()).y())  # the button is not in the scroll


def test_a_junk_file_is_refused_before_asking_about_unsaved_edits(qtbot, window, isolated,
                                                                  recording_path, tmp_path,
                                                                  monkeypatch):
    errors = []
    monkeypatch.setattr(dialogs, "show_error",
                        lambda parent, title, text: errors.append((title, text)))
    session = open_and_score(qtbot, window, recording_path)
    session.click(10.5)
    window.label(Stage.REM)
    assert session.dirty
    junk = tmp_path / "junk.edf"
    junk.write_text("this is not an EDF file\nhello\n")
    window.files.open_path(junk)
    assert errors and errors[0][0] == "Cannot open junk.edf"
    assert "not an EDF/BDF file" in errors[0][1]
    assert ("save",) not in isolated.asked  # nothing was asked about the open recording
    assert window.session is session and not window.files.busy()
    missing = tmp_path / "gone.edf"
    window.files.open_path(missing)
    assert "file not found" in errors[-1][1] and ("save",) not in isolated.asked

    other = write_edf(tmp_path / "mouse2.edf", minutes=4)  # a good file still asks first
    window.files.open_path(other)
    assert ("save",) in isolated.asked
    wait_scored(qtbot, window)
    assert window.session is not session


def test_one_low_confidence_run_is_one_run(qtbot, window, isolated, recording_path,
                                           monkeypatch):
    spy = isolated.score

    def one_doubtful_run(recording, **kwargs):
        result = spy(recording, **kwargs)
        probs = np.tile(np.float32([0.05, 0.9, 0.05]), (len(result.probabilities), 1))
        probs[3:5] = [0.4, 0.35, 0.25]  # two epochs in a row below 60 %
        result.probabilities = probs
        result.classes = (Stage.WAKE, Stage.NREM, Stage.REM)
        return result

    monkeypatch.setattr(backend, "score", one_doubtful_run)
    session = open_and_score(qtbot, window, recording_path)
    assert session.low_confidence_runs() == 1
    message = window.statusBar().currentMessage()
    assert "2 below 60% confidence in 1 run (N jumps" in message and "runs" not in message
