"""Formats read for what they are: BDF/EDF by header, .tsv tab-separated, score --rate for
tables, channel names checked, annotation channels not signals, FIFOs refused, symlink loops
skipped, and zero-gain / clipping / length warnings printed by `score`."""

import os
from pathlib import Path

import numpy as np
import pytest
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.cli import main
from sleepscorer.errors import RecordingError
from sleepscorer.io import load_recording, write_edf
from sleepscorer.io.discover import find_recordings
from tests.fuzz.builders import EdfSpec, eeg_emg_signals, good_edf, write_edf_spec
from tests.model.conftest import TINY, make_recording


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), path)
    return path


def score(path, out, model, *extra):
    return main(["score", str(path), "--out", str(out), "--model", str(model), "--device", "cpu",
                 *extra])


def test_bdf_named_edf_is_read_as_bdf(tmp_path):
    bdf = good_edf(tmp_path / "a.bdf", bdf=True)
    named = tmp_path / "b.edf"
    named.write_bytes(bdf.read_bytes())
    a, b = load_recording(bdf), load_recording(named)
    assert b.duration_s == a.duration_s == 20
    np.testing.assert_array_equal(a.eeg.data, b.eeg.data)
    assert any("is a BDF" in w for w in b.warnings)


def test_edf_named_bdf_is_read_as_edf(tmp_path):
    edf = good_edf(tmp_path / "a.edf")
    named = tmp_path / "b.bdf"
    named.write_bytes(edf.read_bytes())
    np.testing.assert_array_equal(load_recording(edf).eeg.data, load_recording(named).eeg.data)


def test_annotation_channel_is_not_a_signal(tmp_path):
    path = tmp_path / "rec.edf"
    write_edf(make_recording(20, seed=1), path)  # edfio writes EDF+ with an annotation signal
    rec = load_recording(path)
    assert all("Annotations" not in c.name for c in rec.channels)
    assert not any("resampled" in w for w in rec.warnings)


def test_annotations_only_edf_is_a_clear_error(tmp_path):
    from tests.fuzz.builders import Signal

    ann = Signal("EDF Annotations", np.zeros(60, np.int64), 60, digital_range=(-32768, 32767))
    path = write_edf_spec(tmp_path / "a.edf", EdfSpec([ann], 1, 0.0, edf_plus=True))
    with pytest.raises(RecordingError, match="only EDF\\+ annotations"):
        load_recording(path)


def test_record_duration_zero_is_a_clear_error(tmp_path):
    path = write_edf_spec(tmp_path / "a.edf", EdfSpec(eeg_emg_signals(5), 5, 0.0))
    with pytest.raises(RecordingError, match="data records last 0 s"):
        load_recording(path)


def test_tsv_recording_is_tab_separated_and_score_takes_rate(tmp_path, tiny_model, capsys):
    rec = make_recording(20, seed=2)
    rows = "\n".join(f"{a:.4f}\t{b:.4f}" for a, b in zip(rec.eeg.data, rec.emg.data, strict=True))
    path = tmp_path / "rec.tsv"
    path.write_text("eeg\temg\n" + rows + "\n")
    loaded = load_recording(path, rate=rec.rate)
    assert [c.name for c in loaded.channels] == ["eeg", "emg"]
    assert score(path, tmp_path / "o.csv", tiny_model, "--rate", str(rec.rate)) == 0
    assert len((tmp_path / "o.csv").read_text().splitlines()) == 21
    assert score(path, tmp_path / "p.csv", tiny_model) == 2
    assert "--rate" in capsys.readouterr().err


def test_csv_channels_named_on_the_command_line(tmp_path, tiny_model):
    rec = make_recording(20, seed=2)
    path = tmp_path / "rec.csv"
    rows = "\n".join(f"{a:.4f},{b:.4f}" for a, b in zip(rec.eeg.data, rec.emg.data, strict=True))
    path.write_text("ch_a,ch_b\n" + rows + "\n")
    assert score(path, tmp_path / "o.csv", tiny_model, "--rate", str(rec.rate),
                 "--eeg", "ch_a", "--emg", "ch_b") == 0


@pytest.mark.parametrize("extra, match", [
    (("--eeg", "Chanel1"), "no channel named 'Chanel1'; the channels are EEG1, EMG"),
    (("--eeg", "EMG", "--emg", "EMG"), "both name channel 'EMG'; EEG and EMG must be different "
                                       "channels; the channels of rec.edf are EEG1, EMG"),
])
def test_channel_names_that_do_not_fit_are_errors(tmp_path, tiny_model, capsys, extra, match):
    path = tmp_path / "rec.edf"
    write_edf(make_recording(20, seed=1), path)
    assert score(path, tmp_path / "o.csv", tiny_model, *extra) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_fifo_recording_is_refused_without_blocking(tmp_path, tiny_model, capsys):
    fifo = tmp_path / "rec.edf"
    os.mkfifo(fifo)
    assert score(fifo, tmp_path / "o.csv", tiny_model) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_recursion_skips_symlink_loops(tmp_path):
    root = tmp_path / "study"
    (root / "a").mkdir(parents=True)
    write_edf(make_recording(20, seed=1), root / "a" / "rec.edf")
    (root / "a" / "loop").symlink_to(root)
    (root / "again").symlink_to(root / "a")
    assert find_recordings(root, recursive=True) == [root / "a" / "rec.edf"]


def test_zero_gain_and_clipping_warnings_are_printed_by_score(tmp_path, tiny_model, capsys):
    signals = eeg_emg_signals(20)
    signals[0].digital = np.clip(signals[0].digital * 8, -32768, 32767)  # rail to rail
    spec = EdfSpec(signals, 20, overrides={"pmin1": "100", "pmax1": "100"})  # EMG zero gain
    path = write_edf_spec(tmp_path / "rec.edf", spec)
    assert score(path, tmp_path / "o.csv", tiny_model) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "zero gain" in err
    assert "clipped" in err


def test_mat_emg_shorter_than_eeg_warns(tmp_path, tiny_model, capsys):
    import scipy.io

    rec = make_recording(30, seed=3)
    path = tmp_path / "rec.mat"
    scipy.io.savemat(path, {"eeg": rec.eeg.data, "emg": rec.emg.data[: int(rec.rate * 20)],
                            "eeg_frequency": rec.rate})
    assert score(path, tmp_path / "o.csv", tiny_model) == 0
    assert "channels have different lengths" in capsys.readouterr().err


def test_demo_without_a_display_says_how_to_run_it(monkeypatch, capsys):
    import sys

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "xvfb-run sleepscorer demo" in err and "sleepscorer selftest" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "0.37", "1e9"])
def test_epoch_length_is_validated(tmp_path, tiny_model, capsys, value):
    path = tmp_path / "rec.edf"
    write_edf(make_recording(20, seed=1), path)
    assert score(path, tmp_path / "o.csv", tiny_model, "--epoch-length", value) == 2
    assert "--epoch-length" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_a_stimulation_trigger_is_neither_flat_nor_clipped(tmp_path):
    """A TTL channel rests at one rail and pulses to the other: every simulated file with
    optogenetic trains printed 'Trigger ... clipped' and 'Trigger is flat' on each score."""
    from sleepscorer_model.simulation import simulate_recording

    rec, _ = simulate_recording(900.0, rate=256.0, seed=3, stim_onsets_s=[300.0, 600.0])
    assert any(c.name == "Trigger" for c in rec.channels)
    write_edf(rec, tmp_path / "sim.edf")
    warnings = load_recording(tmp_path / "sim.edf").warnings
    assert not [w for w in warnings if "Trigger" in w], warnings


def test_edfs_placeholder_start_is_no_clock(tmp_path):
    """A file written without a start (the simulator's) carries 01.01.85 00:00, which stats
    must not read as a clock for its light/dark split."""
    from datetime import datetime

    rec = make_recording(20, seed=1)
    write_edf(rec, tmp_path / "none.edf")
    assert load_recording(tmp_path / "none.edf").start_time is None
    rec.start_time = datetime(2026, 3, 1, 19, 30)
    write_edf(rec, tmp_path / "clock.edf")
    assert load_recording(tmp_path / "clock.edf").start_time == datetime(2026, 3, 1, 19, 30)
