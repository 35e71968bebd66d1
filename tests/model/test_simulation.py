"""The simulator: determinism, rates, spectral signatures, MA, MSSV loading, sampler, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal
from sleepscorer_model.simulation import (
    LABS,
    SignalState,
    default_sampler,
    get_lab,
    load_mssv,
    shifted_lab,
    simulate_recording,
    simulate_session,
    to_one_second,
)
from sleepscorer_model.simulation.hypnograms import fill_unscorable, mark_microarousals

from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage

MSSV = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mssv-hypnograms"


def _blocks(*pairs: tuple[int, int]) -> np.ndarray:
    return np.concatenate([np.full(n, s) for s, n in pairs]).astype(np.int8)


@pytest.fixture(scope="module")
def textbook():
    """10 min of lab_a with long bouts of every stage, at 256 Hz."""
    stages = _blocks((Stage.WAKE, 120), (Stage.NREM, 240), (Stage.REM, 90), (Stage.WAKE, 150))
    return simulate_session(stages, rate=256, seed=5, animal=get_lab("lab_a").typical)


def _band_power(x: np.ndarray, rate: float, lo: float, hi: float) -> float:
    f, p = signal.welch(x, fs=rate, nperseg=int(2 * rate))
    return float(p[(f >= lo) & (f <= hi)].sum())


def _state_data(session, channel: str, state: SignalState, margin: int = 4) -> list[np.ndarray]:
    rate = session.recording.rate
    data = session.recording.channel(channel).data
    mask = session.signal_states == state
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [data[int((a + margin) * rate):int((b - margin) * rate)]
            for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a > 2 * margin + 4]


def test_same_seed_same_arrays_and_different_seed_differs():
    a, ha = simulate_recording(120, 128, seed=1, lab="lab_c")
    b, hb = simulate_recording(120, 128, seed=1, lab="lab_c")
    c, _ = simulate_recording(120, 128, seed=2, lab="lab_c")
    for ca, cb in zip(a.channels, b.channels, strict=True):
        np.testing.assert_array_equal(ca.data, cb.data)
    np.testing.assert_array_equal(ha.stages, hb.stages)
    assert not np.array_equal(a.eeg.data, c.eeg.data)


@pytest.mark.parametrize("rate", [128, 500, 512, 1000])
def test_any_rate_gives_right_length_and_microvolt_scale(rate):
    rec, hyp = simulate_recording(60, rate, seed=0, lab="lab_b")
    assert rec.rate == rate and rec.n_samples == 60 * rate and len(hyp) == 60
    assert rec.eeg.data.dtype == np.float32 and np.isfinite(rec.eeg.data).all()
    assert 3e-6 < rec.eeg.data.std() < 3e-4  # tens of microvolts, in volts
    assert 5e-7 < rec.emg.data.std() < 3e-4


def test_state_signatures(textbook):
    rate = textbook.recording.rate
    power = {}
    for state in (SignalState.ACTIVE_WAKE, SignalState.NREM, SignalState.REM):
        eeg = np.concatenate(_state_data(textbook, "EEG1", state))
        emg = np.concatenate(_state_data(textbook, "EMG", state))
        power[state] = (_band_power(eeg, rate, 0.5, 4), _band_power(eeg, rate, 6, 9),
                        np.sqrt(np.mean(signal.sosfilt(
                            signal.butter(4, [25, 100], "bandpass", fs=rate, output="sos"), emg) ** 2)))
    wake, nrem, rem = (power[s] for s in (SignalState.ACTIVE_WAKE, SignalState.NREM, SignalState.REM))
    assert nrem[0] > 2 * wake[0]                        # delta NREM > Wake
    assert rem[1] / rem[0] > 3 * nrem[1] / nrem[0]      # theta/delta REM > NREM
    assert rem[2] < 0.5 * wake[2]                       # REM atonia


def test_microarousals_only_when_asked():
    stages = _blocks((Stage.NREM, 300), (Stage.WAKE, 8), (Stage.NREM, 300))
    _, h4 = simulate_recording(stages, 128, seed=3, lab="lab_a", stages=4)
    _, h3 = simulate_recording(stages, 128, seed=3, lab="lab_a", stages=3)
    assert (h4.stages == Stage.MA).sum() >= 8
    assert (h3.stages == Stage.MA).sum() == 0
    np.testing.assert_array_equal(h3.stages, np.where(h4.stages == Stage.MA, Stage.WAKE, h4.stages))


def test_mark_microarousals_only_short_wake_inside_nrem():
    stages = _blocks((Stage.WAKE, 10), (Stage.NREM, 20), (Stage.WAKE, 12), (Stage.NREM, 20),
                     (Stage.WAKE, 30), (Stage.NREM, 5))
    out = mark_microarousals(stages)
    assert (out == Stage.MA).sum() == 12 and (out[:10] == Stage.WAKE).all()


def test_to_one_second_jitters_boundaries_but_keeps_length_and_bouts():
    coarse = _blocks((Stage.WAKE, 5), (Stage.NREM, 1), (Stage.REM, 3), (Stage.WAKE, 1))
    fine = to_one_second(coarse, 4.0, np.random.default_rng(0), jitter_s=2)
    assert len(fine) == 40
    change = np.flatnonzero(np.diff(fine)) + 1
    assert len(change) == 3 and np.all(np.abs(change - np.array([20, 24, 36])) <= 2)
    moved = [to_one_second(coarse, 4.0, np.random.default_rng(s)) for s in range(10)]
    assert len({tuple(np.flatnonzero(np.diff(m))) for m in moved}) > 1


def test_fill_unscorable_uses_previous_stage():
    out = fill_unscorable(np.array([4, 1, 4, 4, 2, -1], dtype=np.int8))
    np.testing.assert_array_equal(out, [1, 1, 1, 1, 2, 2])


@pytest.mark.skipif(not MSSV.is_dir(), reason="MSSV hypnograms not in ../shared/data")
def test_mssv_loader_gives_one_second_labels():
    records = load_mssv(MSSV, labs=("lab_1",), limit=2)
    assert len(records) == 2 and all(r.lab == "lab_1" and r.epoch_length == 4.0 for r in records)
    rec = records[0]
    fine = to_one_second(fill_unscorable(rec.stages), rec.epoch_length, np.random.default_rng(1))
    assert len(fine) == 4 * len(rec.stages)
    assert set(np.unique(fine)) <= {Stage.WAKE, Stage.NREM, Stage.REM}
    _, hyp = simulate_recording(Hypnogram.from_arrays(rec.stages[:150], 4.0), 128, seed=0)
    assert len(hyp) == 600


def test_semi_markov_sampler_reproduces_stage_proportions():
    sampler = default_sampler()
    expected = sampler.stationary_proportions()
    stages = sampler.sample(4 * 24 * 3600, np.random.default_rng(0))
    for state, p in expected.items():
        assert abs((stages == state).mean() - p) < 0.05
    assert 0.35 < expected[Stage.NREM] < 0.6 and 0.03 < expected[Stage.REM] < 0.12


def test_stimulation_wakes_and_adds_trigger_and_20hz():
    stages = np.full(200, Stage.NREM, dtype=np.int8)
    s = simulate_session(stages, 500, seed=2, animal=get_lab("lab_c").typical, stim_onsets_s=[60.0])
    assert (s.hypnogram.stages[63:80] == Stage.WAKE).all() and s.hypnogram.stages[30] == Stage.NREM
    trig = s.recording.channel("Trigger").data
    assert trig[60 * 500:80 * 500].max() > 4 and trig[:59 * 500].max() < 1
    eeg = s.recording.eeg.data
    f, p_on = signal.welch(eeg[61 * 500:79 * 500], fs=500, nperseg=1000)
    _, p_off = signal.welch(eeg[120 * 500:138 * 500], fs=500, nperseg=1000)
    assert p_on[f == 20][0] > 4 * p_off[f == 20][0] and p_on[f == 40][0] > 2 * p_off[f == 40][0]


def test_labs_differ_and_shifted_lab_is_new():
    assert set(LABS) >= {"lab_a", "lab_b", "lab_c", "lab_d", "lab_e"}
    rng = np.random.default_rng(0)
    animals = [get_lab("lab_a").sample_animal(rng) for _ in range(3)]
    assert len({a.theta_peak_hz for a in animals}) == 3
    shifted = shifted_lab("lab_c")
    assert shifted.name == "lab_c_shifted" and get_lab("lab_c_shifted").typical == shifted.typical
    assert shifted.typical.line_hz != get_lab("lab_c").typical.line_hz
    with pytest.raises(KeyError):
        get_lab("lab_z")


def test_disconnection_is_flat_and_labelled_artifact():
    from dataclasses import replace
    animal = replace(get_lab("lab_d").typical, flat_per_hour=200.0, flat_mean_s=20.0)
    rec, hyp = simulate_recording(300, 128, seed=4, animal=animal)
    flat = hyp.stages == Stage.ARTIFACT
    assert 10 < flat.sum() < 300
    per_second = rec.eeg.data[: 300 * 128].reshape(300, 128).std(axis=1)
    assert np.median(per_second[flat]) < 1e-6 < np.median(per_second[~flat])


def test_cli_writes_edf_and_csv_the_io_layer_reads(tmp_path):
    io = pytest.importorskip("sleepscorer.io")
    labels = pytest.importorskip("sleepscorer.io.labels")
    if not hasattr(io, "write_edf") or not hasattr(labels, "read_labels"):
        pytest.skip("sleepscorer.io.write_edf / labels.read_labels not written yet")
    from sleepscorer.cli import main

    assert main(["simulate", str(tmp_path), "--hours", "0.02", "--rate", "128", "--seed", "1",
                 "--lab", "lab_a", "--stages", "4"]) == 0
    edf = tmp_path / "lab_a_seed1_animal0.edf"
    rec = io.load_recording(edf)
    hyp = labels.read_labels(edf.with_suffix(".csv"), n_epochs=rec.n_epochs())
    assert rec.rate == 128 and rec.eeg is not None and rec.emg is not None
    assert len(hyp) == 72 and not hyp.warnings
    assert 3 < rec.eeg.data.std() < 300  # written in uV


def test_a_second_simulation_never_replaces_the_first(tmp_path, capsys):
    """Session 17's trial: `simulate` again into the folder with the same --seed and --lab
    (other --hours or --generator) replaced the first run's recording and truth labels, which
    names do not tell apart, without a word. Every file is checked before any is written."""
    from sleepscorer.cli import main

    args = ["simulate", str(tmp_path), "--hours", "0.01", "--rate", "128", "--seed", "1"]
    assert main([*args, "--animals", "1"]) == 0
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    capsys.readouterr()
    assert main([*args, "--animals", "2", "--generator", "alt"]) == 2
    edf = tmp_path / "lab_a_seed1_animal0.edf"
    assert capsys.readouterr().err == (f"error: {edf}: exists (an earlier simulation?); simulate "
                                       "never replaces a file: give another OUT_DIR or --seed\n")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == first  # animal1 not written
