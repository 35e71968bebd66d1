"""What the shipped model must do beyond fitting the simulator (issue: a model that scores real mice).

- it clears a floor on a freshly simulated animal of the held-out lab family and of the
  alternative generator (never trained on);
- flat and clipped spans become Artifact at low confidence, never confident Wake;
- its labels for the same epochs barely move when the file holds mostly Wake or mostly sleep;
- the simulator's states differ the way real mice's do (per-state ratios).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sleepscorer_model.data import stages_to_classes
from sleepscorer_model.inference import ARTIFACT_PROBABILITY, score
from sleepscorer_model.simulation import simulate_recording
from sleepscorer_model.spectral import percentile_scale, raw_features
from sleepscorer_model.weights import default_weights_path, load_model

from sleepscorer.io.recording import Channel, ChannelKind, Recording
from sleepscorer.stages import Stage

WEIGHTS = default_weights_path()
needs_weights = pytest.mark.skipif(not Path(WEIGHTS).exists(), reason="no bundled weights")


CONSENSUS_FLOOR = 0.90


@pytest.fixture(scope="module")
def shipped():
    return load_model(WEIGHTS)


def accuracy(rec, hyp, loaded, **kw) -> float:
    truth = stages_to_classes(hyp.stages)
    pred = stages_to_classes(score(rec, loaded, device="cpu", **kw).stages)
    n = min(len(truth), len(pred))
    keep = truth[:n] >= 0
    return float((truth[:n][keep] == pred[:n][keep]).mean())


@needs_weights
@pytest.mark.parametrize(("lab", "rate", "generator", "eeg_floor"), [
    ("lab_b", 256.0, "default", 0.80),
    ("lab_c", 1000.0, "alt", 0.60),  # weak-delta family rendered the other way: hardest
])
def test_shipped_weights_clear_a_floor_on_unseen_generators(shipped, lab, rate, generator, eeg_floor):
    """Regression floors below the measured figures (docs/transfer.md), not targets."""
    rec, hyp = simulate_recording(1800.0, rate=rate, seed=4242, lab=lab, generator=generator)
    # measured (releases 9-11: release 8's tensors with mixture scaling, release 10 also with
    # the atonia rule, release 11 with the tone rule too: EEG+EMG 0.996, 0.870; release 8 in
    # brackets): EEG+EMG 0.993, 0.874 (0.987, 0.832); EEG 0.890, 0.631 (0.898, 0.671); EMG 0.942, 0.834
    # (unchanged: EMG alone is read without mixture scaling)
    assert accuracy(rec, hyp, shipped) >= 0.80
    assert accuracy(rec, hyp, shipped, modality="eeg") >= eeg_floor
    assert accuracy(rec, hyp, shipped, modality="emg") >= 0.80


def with_spans(rec: Recording, flat: tuple[int, int], clipped: tuple[int, int]) -> Recording:
    channels = []
    for c in rec.channels:
        x = np.array(c.data, dtype=np.float32)
        if c.kind.name == "EEG":
            r = int(c.rate)
            x[flat[0] * r:flat[1] * r] = x[flat[0] * r]
            rail = float(np.percentile(np.abs(x), 99.0))
            x = np.clip(x, -rail, rail)  # an amplifier at its range
            seg = slice(clipped[0] * r, clipped[1] * r)
            x[seg] = np.where(np.arange(seg.stop - seg.start) % 3 == 0, rail, x[seg])
        channels.append(Channel(c.name, c.kind, x, c.rate, c.unit))
    return Recording(channels, rec.source)


@needs_weights
def test_flat_and_clipped_eeg_become_artifact_at_low_confidence(shipped):
    rec, _ = simulate_recording(900.0, rate=500.0, seed=7, lab="lab_a")
    bad = with_spans(rec, flat=(300, 420), clipped=(600, 640))
    result = score(bad, shipped, device="cpu")
    stages = result.stages
    assert (stages[300:420] == Stage.ARTIFACT).all()
    assert (stages[600:640] == Stage.ARTIFACT).all()
    assert result.confidence[300:420].max() <= ARTIFACT_PROBABILITY
    assert (stages[:290] != Stage.ARTIFACT).mean() > 0.9  # a few quiet epochs sit at the noise floor
    reasons = {s.reason for s in result.quality}
    assert reasons == {"flat", "clipped"}
    assert any("flat" in w and "300 s" in w for w in result.warnings)


@needs_weights
def test_a_flat_emg_falls_back_to_eeg_alone(shipped):
    rec, hyp = simulate_recording(900.0, rate=512.0, seed=8, lab="lab_a")
    channels = [Channel(c.name, c.kind, np.full_like(c.data, c.data[0]) if c.kind.name == "EMG"
                        else c.data, c.rate, c.unit) for c in rec.channels]
    result = score(Recording(channels, rec.source), shipped, device="cpu")
    assert not (result.stages == Stage.ARTIFACT).any()
    assert any("scored from EEG alone" in w for w in result.warnings)


def consensus_agreement(pred: np.ndarray) -> float:
    """scripts/anchors.py (a development script, so loaded from its file)."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "anchors.py"
    spec = importlib.util.spec_from_file_location("anchors_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.consensus_agreement(pred)


@needs_weights
def test_the_real_demo_mouse_agrees_with_the_anchor_consensus(shipped, openephys_dir):
    """The real test of transfer in CI: where two scorers measured against the demo's expert
    (0.872 and 0.912) agree, the expert almost surely agrees too (tests/data/README.md).
    A floor below the shipped model's measured agreement (model card), not a target."""
    from sleepscorer.io import load_recording

    pred = stages_to_classes(score(load_recording(openephys_dir), shipped, device="cpu").stages)
    assert consensus_agreement(pred) >= CONSENSUS_FLOOR


@needs_weights
def test_the_real_demo_scores_alike_at_200_hz_and_other_gains(shipped, openephys_dir):
    """Another lab's mouse may be sampled at 200 Hz through other amplifiers: the demo
    resampled from 1000 to 200 Hz, EEG x0.1 and EMG x10, keeps its labels and its agreement
    with the anchor consensus (measured: 0.935 at 1000 Hz, 0.927 at 200 Hz, 98.2 % of labels kept)."""
    from scipy.signal import resample_poly

    from sleepscorer.io import load_recording

    rec = load_recording(openephys_dir)
    native = stages_to_classes(score(rec, shipped, device="cpu").stages)
    gain = {ChannelKind.EEG: 0.1, ChannelKind.EMG: 10.0}
    assert all(c.rate == 1000.0 for c in rec.channels)
    other = Recording([Channel(c.name, c.kind, (resample_poly(np.asarray(c.data, np.float64), 1, 5)
                                                * gain.get(c.kind, 1.0)).astype(np.float32), 200.0, c.unit)
                       for c in rec.channels], rec.source)
    moved = stages_to_classes(score(other, shipped, device="cpu").stages)
    n = min(len(native), len(moved))
    assert np.mean(native[:n] == moved[:n]) >= 0.97
    assert consensus_agreement(moved) >= CONSENSUS_FLOOR


@needs_weights
def test_misleep_flat_edf_is_not_scored_confident_wake(shipped):
    path = Path(__file__).resolve().parents[2].parent / "shared/data/real/misleep-10min/10mins_example_edf.edf"
    if not path.exists():
        pytest.skip("shared data not present")
    from sleepscorer.io import load_recording

    rec = load_recording(path).with_roles({"Channel1": ChannelKind.EEG, "Channel2": ChannelKind.EMG})
    result = score(rec, shipped, device="cpu")
    after = result.stages[40:]
    assert (after == Stage.ARTIFACT).mean() > 0.95
    assert result.confidence[40:].max() <= ARTIFACT_PROBABILITY


@needs_weights
def test_the_csv_says_why_a_flat_electrode_is_artifact(tmp_path):
    import csv

    from sleepscorer_model.options import ScoringOptions

    from sleepscorer.cli.scoring import score_file

    path = Path(__file__).resolve().parents[2].parent / "shared/data/real/misleep-10min/10mins_example_edf.edf"
    if not path.exists():
        pytest.skip("shared data not present")
    out = tmp_path / "labels.csv"
    score_file(path, out, options=ScoringOptions(device="cpu"),
               roles={"Channel1": ChannelKind.EEG, "Channel2": ChannelKind.EMG})
    rows = list(csv.DictReader(out.open()))
    assert rows[0].keys() >= {"stage", "confidence", "note"}
    gated = [r for r in rows[40:] if r["stage"] == "Artifact"]
    assert len(gated) > 0.95 * len(rows[40:])
    assert all(r["note"] in ("EEG flat: Artifact", "EEG flat; EMG flat: Artifact") for r in gated)
    assert all(r["note"].endswith(": Artifact") == (r["stage"] == "Artifact") for r in rows)


@needs_weights
@pytest.mark.parametrize("lab", ["lab_a", "lab_c", "lab_d"])
def test_labels_do_not_depend_on_how_much_of_the_file_is_wake(shipped, lab):
    """Crop one mouse to a Wake-heavy and an NREM-heavy part: the epochs score as inside the whole.

    Measured with mixture scaling (release 9): every part of labs a, c, d, e within 0.2 points,
    lab_b's Wake-heavy part 0.974 alone against 1.000 inside. Release 8, which scaled by the
    file's own percentiles: the Wake-heavy part alone 0.82 (a), 0.81 (c), 0.75 (d)."""
    stages = np.concatenate([np.full(n, s) for s, n in (
        (Stage.WAKE, 1500), (Stage.NREM, 200), (Stage.WAKE, 600), (Stage.NREM, 1500),
        (Stage.REM, 90), (Stage.NREM, 600), (Stage.WAKE, 150), (Stage.NREM, 900))]).astype(np.int8)
    rec, hyp = simulate_recording(stages, rate=512.0, seed=21, lab=lab)
    whole = score(rec, shipped, device="cpu").stages
    cut = 2300
    for a, b in ((0, cut), (cut, len(stages))):
        part = rec.crop(a, b) if hasattr(rec, "crop") else _crop(rec, a, b)
        alone = score(part, shipped, device="cpu").stages
        n = min(len(alone), b - a)
        truth = stages_to_classes(hyp.stages[a:a + n])
        inside = (stages_to_classes(whole[a:a + n]) == truth).mean()
        apart = (stages_to_classes(alone[:n]) == truth).mean()
        assert abs(inside - apart) <= 0.02, (a, b, inside, apart)


def _crop(rec: Recording, a: int, b: int) -> Recording:
    return Recording([Channel(c.name, c.kind, c.data[int(a * c.rate):int(b * c.rate)], c.rate, c.unit)
                      for c in rec.channels], rec.source)


@pytest.mark.parametrize("generator", ["default", "alt"])
def test_simulated_states_differ_as_real_mice_do(generator):
    """Per-state ratios (medians over 1-s epochs) as real recordings show them.

    The training generator stays inside the real ranges; the alternative one (evaluation
    only, its slow waves are sparse single waves) must at least point the same way. Wake has
    more 16-40 Hz power than NREM, as in real mice (the demo mouse: 1.5-2.5x); a simulator
    with the opposite taught the network to call the demo's wake NREM."""
    delta_range = (2, 12) if generator == "default" else (1.3, 20)
    for lab in ("lab_c", "lab_d"):
        rec, hyp = simulate_recording(1800.0, rate=500.0, seed=4, lab=lab, generator=generator)
        f = raw_features(rec)
        st = hyp.stages[: len(f["eeg"])]
        power = 10 ** f["eeg"]
        delta, total, fast = power[:, 0:8].sum(1), power[:, 0:60].sum(1), power[:, 31:80].sum(1)
        m = np.asarray(rec.emg.data[: len(st) * 500], dtype=np.float64).reshape(len(st), 500)
        emg_rms = (m - m.mean(1, keepdims=True)).std(1)  # broadband, as the outside judge reads it

        def med(x, s, st=st):
            return float(np.median(x[st == s]))
        assert delta_range[0] <= med(delta, Stage.NREM) / med(delta, Stage.WAKE) <= delta_range[1], lab
        assert med(total, Stage.NREM) / med(total, Stage.WAKE) >= 1.3, lab
        assert med(emg_rms, Stage.WAKE) / med(emg_rms, Stage.NREM) >= 2, lab
        assert med(emg_rms, Stage.REM) / med(emg_rms, Stage.NREM) <= 1.0, lab
        assert med(fast, Stage.WAKE) / med(fast, Stage.NREM) >= 1.2, lab


def test_percentile_scaling_is_gain_and_filter_free():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((5000, 6)).astype(np.float32)
    shifted = f + np.array([0.5, -2, 3, 0, 1, 7], np.float32)  # a gain/filter: log offset per bin
    assert np.allclose(percentile_scale(f), percentile_scale(shifted), atol=1e-5)
