"""EDF+D (discontinuous) files: each data record at the onset its annotations give, the
gaps missing (a user trial's file, read as continuous, stamped every epoch after a 100-s
gap 100 s too early)."""

import numpy as np
import pytest
from sleepscorer_model.weights import build_model, save_model

from sleepscorer.cli import main
from sleepscorer.errors import RecordingError
from sleepscorer.io import load_recording
from tests.fuzz.builders import EdfSpec, Signal, eeg_emg_signals, write_edf_spec
from tests.model.conftest import TINY

RATE = 128
TAL_BYTES = 40  # per record: '+300\x14\x14\x00' padded with zeros


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), path)
    return path


def _tals(onsets) -> Signal:
    """An 'EDF Annotations' signal holding each record's time-keeping TAL."""
    raw = b"".join(f"+{t:.10g}\x14\x14\x00".encode().ljust(TAL_BYTES, b"\x00") for t in onsets)
    return Signal("EDF Annotations", np.frombuffer(raw, "<i2").astype(np.int64), TAL_BYTES // 2,
                  digital_range=(-32768, 32767), unit="")


def edf_plus(path, onsets, reserved="EDF+D"):
    """An EDF+ with 1-s records at `onsets` (seconds), EEG and EMG at RATE Hz."""
    signals = [*eeg_emg_signals(len(onsets), RATE, seed=2), _tals(onsets)]
    return write_edf_spec(path, EdfSpec(signals, len(onsets), 1.0, edf_plus=True,
                                        overrides={"reserved": reserved}))


def gap_after(records, gap_s, n=600):
    """Onsets of `n` 1-s records, those after record `records` `gap_s` later."""
    return [k + (gap_s if k >= records else 0) for k in range(n)]


def test_records_after_a_gap_lie_at_their_onsets(tmp_path):
    continuous = load_recording(edf_plus(tmp_path / "c.edf", range(600), "EDF+C"))
    rec = load_recording(edf_plus(tmp_path / "rec.edf", gap_after(300, 100)))
    assert rec.duration_s == 700 and rec.n_epochs() == 700
    eeg = rec.eeg
    np.testing.assert_array_equal(eeg.data[:300 * RATE], continuous.eeg.data[:300 * RATE])
    # record 300 (the 301st) is at 400 s, not at 300 s
    np.testing.assert_array_equal(eeg.data[400 * RATE:], continuous.eeg.data[300 * RATE:])
    assert not eeg.data[300 * RATE:400 * RATE].any() and eeg.missing[300 * RATE:400 * RATE].all()
    assert not eeg.missing[:300 * RATE].any() and not eeg.missing[400 * RATE:].any()
    assert ("EDF+D (discontinuous) in 2 pieces; 100 s of gap from 300 s are marked "
            "missing") in rec.warnings
    assert not any("flat" in w or "NaN" in w for w in rec.warnings), rec.warnings


def test_several_gaps_are_summed_and_the_first_named(tmp_path):
    onsets = [k + (10 if k >= 20 else 0) + (5.5 if k >= 40 else 0) for k in range(60)]
    rec = load_recording(edf_plus(tmp_path / "rec.edf", onsets))
    assert rec.duration_s == 75.5
    assert ("EDF+D (discontinuous) in 3 pieces; 15.5 s of gap in 2 gaps, the first "
            "10 s from 20 s, are marked missing") in rec.warnings


def test_gap_epochs_are_scored_artifact_and_later_epochs_keep_their_times(tmp_path, tiny_model):
    path = edf_plus(tmp_path / "rec.edf", gap_after(40, 30, n=80))
    out = tmp_path / "rec.csv"
    assert main(["score", str(path), "--out", str(out), "--model", str(tiny_model),
                 "--device", "cpu"]) == 0
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    assert len(rows) == 110 and rows[-1][1] == "109"
    stages = [r[3] for r in rows]
    assert set(stages[40:70]) == {"Artifact"}
    assert "Artifact" not in stages[:40] + stages[70:]


def test_a_gap_of_days_is_refused_without_filling_it(tmp_path):
    path = edf_plus(tmp_path / "rec.edf", gap_after(30, 30 * 86400.0, n=60))
    with pytest.raises(RecordingError, match=r"rec\.edf: EDF\+D: its records span 30 days"):
        load_recording(path)


def test_overlapping_records_are_a_clear_error(tmp_path):
    path = edf_plus(tmp_path / "rec.edf", [k - (0.5 if k >= 30 else 0) for k in range(60)])
    with pytest.raises(RecordingError, match=r"rec\.edf: EDF\+D: data record 31 starts at 29\.5 s"):
        load_recording(path)


def test_edf_plus_c_and_gapless_edf_plus_d_read_as_before(tmp_path):
    plain = load_recording(edf_plus(tmp_path / "c.edf", range(60), "EDF+C"))
    gapless = load_recording(edf_plus(tmp_path / "d.edf", range(60)))
    for rec in (plain, gapless):
        assert rec.duration_s == 60 and all(c.missing is None for c in rec.channels)
        assert not any("EDF+D" in w for w in rec.warnings)
    np.testing.assert_array_equal(plain.eeg.data, gapless.eeg.data)
