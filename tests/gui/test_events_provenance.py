"""Session 16b's trial: the app's BIDS events export, dropped back on the window, turned
every model label into a person's (a fine-tuning target)."""

from __future__ import annotations

from sleepscorer.hypnogram import Source
from tests.gui.conftest import open_and_score


def test_a_dropped_events_export_keeps_who_set_each_label(qtbot, window, recording_path,
                                                         tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    hyp.set_stage(0, 3, hyp.stages[0] % 3 + 1)  # a person's correction before the export
    out = tmp_path / "scored_events.tsv"
    assert window.files.export_bids(out)
    assert out.read_text().splitlines()[0] == "onset\tduration\tstage\tsource"
    window.files.dropped(out)
    assert int(hyp.is_person_labelled().sum()) == 3
    assert (hyp.sources[3:] == Source.MODEL).all()
    assert "imported 3 person-set and 297 model label(s)" in window.statusBar().currentMessage()


def test_the_finetune_dialog_says_which_person_labels_were_left_out(qtbot, tmp_path):
    """The app's fine-tune exports, then shows what it will learn from: 63 MA epochs left
    out were not mentioned (CLI: tests/model/test_provenance_trial.py)."""
    import numpy as np
    from sleepscorer_model.corrections import export_corrections
    from sleepscorer_model.weights import build_model, save_model

    from sleepscorer.gui.finetune_dialog import FinetuneDialog
    from sleepscorer.hypnogram import Hypnogram
    from sleepscorer.stages import Stage
    from tests.model.conftest import TINY, make_recording

    base = tmp_path / "base.safetensors"
    card = save_model(build_model("sdreamer-seq", **TINY), base)
    stages = np.array([Stage.WAKE] * 20 + [Stage.MA] * 3 + [Stage.NREM] * 37, np.int8)
    export_corrections(make_recording(60), Hypnogram.from_arrays(stages), tmp_path / "c", card)
    dlg = FinetuneDialog([tmp_path / "c"], base, tmp_path / "models")
    qtbot.addWidget(dlg)
    text = dlg.summary_label.text()
    assert "57 labelled epochs" in text
    assert "3 MA epoch(s) left out: the model scores Wake/NREM/REM only" in text
