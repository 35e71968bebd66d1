import json

import numpy as np
import pytest
from sleepscorer_model.corrections import export_corrections, labelled_runs, load_corrections
from sleepscorer_model.preprocess import PreprocessConfig, preprocess
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.cli import main
from sleepscorer.errors import LabelsError, ModelError
from sleepscorer.hypnogram import Hypnogram, Source
from tests.model.conftest import TINY, make_recording


@pytest.fixture
def base_card(tmp_path):
    return save_model(build_model("sdreamer-seq", **TINY), tmp_path / "base.safetensors")


def mixed_hypnogram(n=60):
    """Epochs 10-19 expert, 30-34 imported, 40-49 model, the rest unscored."""
    stages = np.arange(n) // 5 % 3
    sources = np.full(n, Source.NONE, np.int8)
    sources[10:20] = Source.EXPERT
    sources[30:35] = Source.IMPORTED
    sources[40:50] = Source.MODEL
    return Hypnogram.from_arrays(stages, sources=sources), stages


def test_export_load_round_trip_keeps_arrays_and_only_person_labels(tmp_path, base_card):
    rec = make_recording(60)
    hyp, stages = mixed_hypnogram()
    entry = export_corrections(rec, hyp, tmp_path / "corr", base_card)
    # K = 8: 4 epochs of context either side of each labelled span
    assert [(r["start"], r["stop"]) for r in entry["runs"]] == [(6, 24), (26, 39)]
    runs = load_corrections([tmp_path / "corr"], base_card)
    eeg, emg = preprocess(rec, PreprocessConfig())
    for run, (a, b) in zip(runs, [(6, 24), (26, 39)], strict=True):
        np.testing.assert_array_equal(run.eeg, eeg[a:b])
        np.testing.assert_array_equal(run.emg, emg[a:b])
        expected = np.where((np.arange(a, b) >= 10) & (np.arange(a, b) < 20)
                            | (np.arange(a, b) >= 30) & (np.arange(a, b) < 35), stages[a:b], -1)
        np.testing.assert_array_equal(run.labels, expected)
    assert all(run.labels.dtype == np.int64 and run.eeg.dtype == np.float32 for run in runs)
    assert sum(int((r.labels >= 0).sum()) for r in runs) == 15  # model epochs 40-49 never targets


def test_appending_recordings_keeps_one_entry_each(tmp_path, base_card):
    hyp, _ = mixed_hypnogram()
    for seed in (0, 1):
        export_corrections(make_recording(60, seed=seed), hyp, tmp_path / "c", base_card)
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert [r["id"] for r in manifest["recordings"]] == ["rec000", "rec001"]
    assert sum(manifest["label_counts"].values()) == 30
    assert manifest["preprocessing"] == PreprocessConfig().to_dict()
    assert manifest["base_model"]["sha256"] == base_card["weights_sha256"]
    assert {"channels", "sampling_rate", "epoch_length", "recording"} <= set(manifest["recordings"][0])
    assert len(load_corrections(tmp_path / "c")) == 4


def test_missing_corrupt_and_mismatched_manifests_are_refused(tmp_path, base_card):
    with pytest.raises(LabelsError, match="no manifest.json"):
        load_corrections([tmp_path])
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(LabelsError, match="corrupt"):
        load_corrections([tmp_path])
    hyp, _ = mixed_hypnogram()
    export_corrections(make_recording(60), hyp, tmp_path / "c", base_card)
    other = dict(base_card, preprocessing=PreprocessConfig(emg_norm="rolling").to_dict())
    with pytest.raises(ModelError, match="preprocessed differently.*emg_norm"):
        load_corrections([tmp_path / "c"], other)
    with pytest.raises(ModelError, match="preprocessed differently"):
        export_corrections(make_recording(60), hyp, tmp_path / "c", other)


def test_corrections_fit_a_model_that_only_reads_them_differently(tmp_path, base_card):
    """Release 9 added mixture scaling to the card: corrections exported for release 8 are the
    same arrays and must still fine-tune it (and take more recordings)."""
    hyp, _ = mixed_hypnogram()
    export_corrections(make_recording(60), hyp, tmp_path / "c", base_card)
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    for key in ("mixture_shares", "mixture_passes"):
        manifest["preprocessing"].pop(key, None)  # as release 8 wrote it
    (tmp_path / "c" / "manifest.json").write_text(json.dumps(manifest))
    newer = dict(base_card, preprocessing=dict(base_card["preprocessing"], mixture_shares=[0.35, 0.58, 0.07],
                                               shape_passes=2))
    assert len(load_corrections([tmp_path / "c"], newer)) >= 1
    export_corrections(make_recording(60, seed=1), hyp, tmp_path / "c", newer)
    manifest["preprocessing"]["from_the_future"] = 1
    (tmp_path / "c" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="settings this version does not know"):
        load_corrections([tmp_path / "c"], newer)


def test_recording_without_person_labels_exports_nothing(tmp_path, base_card):
    hyp = Hypnogram.from_arrays(np.zeros(60, np.int8), source=Source.MODEL)
    with pytest.raises(LabelsError, match="no epoch has a label set by a person"):
        export_corrections(make_recording(60), hyp, tmp_path / "c", base_card)
    assert not (tmp_path / "c" / "manifest.json").exists()


def test_labelled_runs_merge_overlapping_context():
    labels = np.full(30, -1)
    labels[[5, 9, 25]] = 0
    assert labelled_runs(labels, 2) == [(3, 12), (23, 28)]


def test_cli_export_corrections(tmp_path, base_card, capsys):
    from sleepscorer.io import write_edf
    from sleepscorer.io.labels import write_labels_csv

    rec_path, labels_path = tmp_path / "m1.edf", tmp_path / "m1.csv"
    write_edf(make_recording(60), rec_path)
    write_labels_csv(mixed_hypnogram()[0], labels_path)
    args = ["export-corrections", str(rec_path), str(labels_path), "--out", str(tmp_path / "c"),
            "--base", str(tmp_path / "base.safetensors")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert ": added m1.edf: 15 labelled epochs (Wake " in out and "WAKE" not in out
    assert main(args) == 0  # the same recording again: replaced, not doubled
    assert ": replaced m1.edf: 15 labelled epochs" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert len(manifest["recordings"]) == 1 and sum(manifest["label_counts"].values()) == 15
    args[2] = str(tmp_path / "missing.csv")
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "missing.csv" in err[0]


def test_labels_whose_record_names_another_recording_are_refused(tmp_path, base_card, capsys):
    """A trial exported one animal's corrected labels against another animal of the same
    length without a word; the labels' scoring record named the first animal."""
    from sleepscorer.io import write_edf
    from sleepscorer.io.labels import write_labels_csv
    from sleepscorer.io.provenance import write_record

    first, second, labels = tmp_path / "m1.edf", tmp_path / "m2.edf", tmp_path / "m1_scored.csv"
    write_edf(make_recording(60), first)
    write_edf(make_recording(60), second)
    write_labels_csv(mixed_hypnogram()[0], labels)
    write_record(labels, {"recording": str(first)})
    args = ["export-corrections", str(second), str(labels), "--out", str(tmp_path / "c"),
            "--base", str(tmp_path / "base.safetensors")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "m1_scored.csv" in err[0] and "are of " + str(first) in err[0]
    assert "--renamed-recording" in err[0] and not (tmp_path / "c").exists()
    assert main([*args, "--renamed-recording"]) == 0  # the person says it is this one
    args[1] = str(first)
    assert main(args) == 0  # the recording the record names


def test_cli_export_corrections_reads_longer_epochs_of_untimed_labels(tmp_path, base_card, capsys):
    """AccuSleep labels do not record their epoch length: 4-s labels were squeezed onto the
    first quarter of the recording as 1-s training targets, with no way to say otherwise."""
    from sleepscorer.io import write_edf

    rec_path, labels_path = tmp_path / "m1.edf", tmp_path / "accu4.csv"
    write_edf(make_recording(60), rec_path)
    labels_path.write_text("brain_state\n" + "\n".join(["2"] * 10 + ["3"] * 5) + "\n")
    args = ["export-corrections", str(rec_path), str(labels_path), "--out", str(tmp_path / "c"),
            "--base", str(tmp_path / "base.safetensors")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "One label per 4 s would cover the recording" in err and "--file-epoch-length 4)" in err
    assert main([*args, "--epoch-length", "4"]) == 0
    assert ": replaced m1.edf: 60 labelled epochs (Wake 40, NREM 20, REM 0)" in capsys.readouterr().out


def test_the_shipped_spectral_model_fine_tunes_on_exported_corrections(tmp_path, shipped_model):
    """Corrections are exported through the base model's own front end (spectral, with shape
    features), so the arrays have its input width and fine-tuning runs on them."""
    from sleepscorer_model.finetune import FinetuneConfig, finetune
    from sleepscorer_model.simulation import simulate_recording

    rec, truth = simulate_recording(600.0, rate=500.0, seed=3, lab="lab_d")
    hyp = Hypnogram.from_arrays(truth.stages, sources=np.full(len(truth), Source.EXPERT, np.int8))
    export_corrections(rec, hyp, tmp_path / "c", shipped_model.card)
    runs = load_corrections(tmp_path / "c", base_card=shipped_model.card)
    cfg = shipped_model.card["config"]
    assert runs[0].eeg.shape[1] == cfg["eeg_features"] and runs[0].emg.shape[1] == cfg["emg_features"]
    result = finetune(shipped_model, runs, FinetuneConfig(epochs=1, replay=0.2, replay_min_minutes=1.0,
                                                          replay_animals=1, device="cpu"))
    assert result.model is not None and result.card["preprocessing"] == shipped_model.card["preprocessing"]


def test_exporting_a_recording_again_replaces_it(tmp_path, base_card):
    """Twice the same recording: one entry and one copy of its epochs (a second copy would
    count twice in fine-tuning and could land in both training and validation)."""
    hyp, _ = mixed_hypnogram()
    first = export_corrections(make_recording(60), hyp, tmp_path / "c", base_card)
    second = export_corrections(make_recording(60), hyp, tmp_path / "c", base_card)
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert "replaced" not in first and second["replaced"] == ["rec000"]
    assert [r["id"] for r in manifest["recordings"]] == ["rec001"]
    assert sum(manifest["label_counts"].values()) == 15
    assert not list((tmp_path / "c").glob("rec000-*"))  # the replaced entry's files are gone
    assert sum(int((r.labels >= 0).sum()) for r in load_corrections(tmp_path / "c")) == 15
    export_corrections(make_recording(60, seed=1), hyp, tmp_path / "c", base_card)  # another
    third = export_corrections(make_recording(60), hyp, tmp_path / "c", base_card)
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert third["replaced"] == ["rec001"]
    assert [r["id"] for r in manifest["recordings"]] == ["rec003", "rec002"]  # kept its place
    assert sum(manifest["label_counts"].values()) == 30


def test_manifests_without_a_signal_hash_match_by_source_path(tmp_path, base_card):
    """Folders exported before the hash was stored stay readable; a recording whose path
    they list is replaced, duplicates included."""
    from dataclasses import replace

    source = tmp_path / "m1.edf"
    source.write_bytes(b"")
    rec, hyp = replace(make_recording(60), source=source), mixed_hypnogram()[0]
    export_corrections(rec, hyp, tmp_path / "c", base_card)
    path = tmp_path / "c" / "manifest.json"
    old = json.loads(path.read_text())
    entry = old["recordings"][0]
    for key in ("signal_sha256", "source_path"):
        entry.pop(key)
    old["recordings"] = [entry, dict(entry, id="rec001")]  # as the old version doubled it
    old["label_counts"] = {k: 2 * v for k, v in old["label_counts"].items()}
    path.write_text(json.dumps(old))
    assert len(load_corrections(tmp_path / "c", base_card)) == 4
    again = export_corrections(rec, hyp, tmp_path / "c", base_card)
    manifest = json.loads(path.read_text())
    assert again["replaced"] == ["rec000", "rec001"]
    assert [r["id"] for r in manifest["recordings"]] == ["rec002"]
    assert sum(manifest["label_counts"].values()) == 15
