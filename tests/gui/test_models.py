"""Model management: the list with cards, the active model, re-scoring, fine-tuning."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

from PySide6.QtWidgets import QDialog, QPlainTextEdit

from sleepscorer.gui import backend
from sleepscorer.gui.settings import Settings
from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score


def entry(tmp_path: Path, name: str, sha: str, parent: str | None = None, bundled=False):
    path = tmp_path / f"{name}.safetensors"
    path.write_bytes(b"weights")
    card = {"name": name, "architecture": "sdreamer-seq", "created": "2026-11-23T22:02:56",
            "parent_sha256": parent, "weights_sha256": sha, "metrics": {"macro_f1": 0.8123}, "classes": ["WAKE", "NREM", "REM"]}
    return SimpleNamespace(path=path, card=card, bundled=bundled, name=name)


def wait_listed(qtbot, window, n):
    qtbot.waitUntil(lambda: len(window.model_panel.entries) == n and not window.models.tasks)


def test_model_list_card_and_active_model(qtbot, window, recording_path, isolated, tmp_path):
    base = entry(tmp_path, "sDREAMER", "aaa", bundled=True)
    mine = entry(tmp_path, "mine", "bbb", parent="aaa")
    isolated.models.entries[:] = [base, mine]
    window.models.refresh()
    wait_listed(qtbot, window, 2)
    panel = window.model_panel
    assert panel.models.itemText(0) == "bundled: sDREAMER" and panel.weights == base.path
    panel.models.setCurrentIndex(1)
    panel._chosen(1)
    details = panel.details.text()
    assert "sdreamer-seq" in details and "parent: sDREAMER" in details and "macro-F1 0.81" in details
    assert Settings().active_model == str(mine.path)
    panel.show_card()
    text = panel.card_dialog.findChild(QPlainTextEdit).toPlainText()
    assert '"weights_sha256": "bbb"' in text and '"macro_f1": 0.8123' in text
    summary = text.split("Whole card (JSON):")[0]  # read first, in words, not JSON
    assert summary.startswith("mine\n") and "Metrics:     macro-F1 0.81" in summary and "{" not in summary
    panel.card_dialog.close()

    session = open_and_score(qtbot, window, recording_path)
    assert isolated.score.weights[-1] == mine.path  # the active model scores
    session.hypnogram.set_stage(0, 5, Stage.MA)
    window.model_panel.button.click()
    qtbot.waitUntil(lambda: not window.files.busy() and len(isolated.score.weights) == 2, timeout=60000)
    assert (session.hypnogram.stages[:5] == Stage.MA).all()  # person labels kept


def test_active_model_survives_a_restart(qtbot, window, isolated, tmp_path):
    from sleepscorer.gui.main_window import MainWindow

    base = entry(tmp_path, "sDREAMER", "aaa", bundled=True)
    mine = entry(tmp_path, "mine", "bbb", parent="aaa")
    isolated.models.entries[:] = [base, mine]
    window.settings.active_model = mine.path
    second = MainWindow()
    qtbot.addWidget(second)
    wait_listed(qtbot, second, 2)
    assert second.model_panel.weights == mine.path


def corrected_with_a_base(qtbot, window, recording_path, isolated, tmp_path):
    """The bundled base model listed, the recording scored and 20 epochs corrected to REM."""
    base = entry(tmp_path, "sDREAMER", "aaa", bundled=True)
    isolated.models.entries[:] = [base]
    window.models.refresh()
    wait_listed(qtbot, window, 1)
    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(10, 30, Stage.REM)
    return base, session


def test_finetune_on_my_corrections(qtbot, window, recording_path, isolated, tmp_path,
                                    monkeypatch):
    base, session = corrected_with_a_base(qtbot, window, recording_path, isolated, tmp_path)
    exported = []

    def export(*, recording, hypnogram, out_dir, card):
        exported.append((Path(out_dir), int(hypnogram.is_person_labelled().sum()), card["name"]))
        Path(out_dir).mkdir(parents=True)
        return {}

    monkeypatch.setattr(backend, "export_corrections", export)
    tuned = entry(tmp_path, "sDREAMER-finetuned", "ccc", parent="aaa")
    opened = []

    class FakeDialog:
        def __init__(self, folders, base=None, parent=None):
            opened.append((folders, base))
            self.model_path = None

        def exec(self):
            isolated.models.entries.append(tuned)  # the dialog saved it in the user folder
            self.model_path = tuned.path
            return QDialog.DialogCode.Accepted

    fake = ModuleType("sleepscorer.gui.finetune_dialog")
    fake.FinetuneDialog = FakeDialog
    monkeypatch.setitem(sys.modules, "sleepscorer.gui.finetune_dialog", fake)
    window.models.finetune_dialog()
    qtbot.waitUntil(lambda: len(isolated.score.weights) == 2 and not window.files.busy())
    folder, n_person, card_name = exported[0]
    assert n_person == 20 and card_name == "sDREAMER"
    assert opened == [([folder], base.path)]
    assert window.model_panel.weights == tuned.path
    assert Settings().active_model == str(tuned.path)
    assert isolated.score.weights[-1] == tuned.path
    hyp = session.hypnogram
    assert (hyp.stages[10:30] == Stage.REM).all() and (hyp.sources[10:30] == Source.EXPERT).all()


def test_finetune_without_corrections_explains(qtbot, window, recording_path, isolated,
                                               tmp_path, monkeypatch):
    from sleepscorer.gui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(text))
    isolated.models.entries[:] = [entry(tmp_path, "sDREAMER", "aaa", bundled=True)]
    window.models.refresh()
    wait_listed(qtbot, window, 1)
    open_and_score(qtbot, window, recording_path)
    window.models.finetune_dialog()
    assert shown and "no epoch carries your own" in shown[0]


def test_the_panel_says_what_a_fine_tuned_model_learned_from(qtbot, window, isolated, tmp_path):
    """Session 17's trial: the panel (and `info`) said how many epochs a fine-tuned model
    learned from but not from which recordings; its card now names them."""
    base = entry(tmp_path, "sDREAMER", "aaa", bundled=True)
    mine = entry(tmp_path, "mine", "bbb", parent="aaa")
    mine.card["training_data"] = {"labelled_epochs": 900, "recordings": ["corr/rec001"],
                                  "sources": [{"id": "corr/rec001",
                                               "recording": "/data/cage2/mouse<7>.edf"}]}
    isolated.models.entries[:] = [base, mine]
    window.models.refresh(then_select=mine.path)
    wait_listed(qtbot, window, 2)
    assert ("<br>fine-tuned on 900 labelled epochs from 1 recording(s): mouse&lt;7&gt;.edf"
            in window.model_panel.details.text())  # a file's name, never markup
    window.models.refresh(then_select=base.path)
    wait_listed(qtbot, window, 2)
    assert "fine-tuned on" not in window.model_panel.details.text()
