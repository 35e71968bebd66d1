import numpy as np
import pytest
from sleepscorer_model.data import SequenceDataset, SubjectData, prepare_subject, split_subjects
from sleepscorer_model.metrics import evaluate
from sleepscorer_model.training import TrainConfig, train
from sleepscorer_model.weights import build_model

from sleepscorer.errors import Cancelled
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage
from tests.model.conftest import TINY, make_recording


def subject(n=32, seed=0, name="m1"):
    stages = np.arange(n) // 4 % 3
    rec = make_recording(n, stages=stages, seed=seed)
    labels = stages.copy()
    labels[0] = Stage.UNSCORED
    labels[1] = Stage.ARTIFACT
    return prepare_subject(rec, Hypnogram.from_arrays(labels), subject=name)


def test_prepare_subject_maps_unscored_and_artifact_to_ignored():
    data = subject()
    assert data.eeg.shape == (32, 512) and data.eeg.dtype == np.float32
    assert data.labels[:2].tolist() == [-1, -1] and data.labels[2:].min() >= 0
    ds = SequenceDataset([data], seq_len=8)
    eeg, emg, y = ds[0]
    assert eeg.shape == (8, 512) and y.shape == (8,)
    assert SequenceDataset([data], seq_len=1)[0][0].shape == (512,)


def test_split_subjects_is_by_subject_and_seeded():
    ids = [f"m{i}" for i in range(10)]
    tr, va, te = split_subjects(ids, 0.2, 0.1, seed=3)
    assert len(va) == 2 and len(te) == 1 and len(tr) == 7
    assert not set(tr) & set(va) and not set(tr) & set(te)
    assert (tr, va, te) == split_subjects(ids, 0.2, 0.1, seed=3)
    assert split_subjects(["a", "b"], 0.2)[1] == ["a"] or split_subjects(["a", "b"], 0.2)[1] == ["b"]


def test_metrics_against_hand_values():
    m = evaluate(np.array([0, 0, 1, 1, 2, -1]), np.array([0, 1, 1, 1, 2, 0]), 3)
    assert m["n_epochs"] == 5 and m["accuracy"] == pytest.approx(0.8)
    assert m["confusion"] == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]
    assert m["f1_per_class"] == pytest.approx([2 / 3, 0.8, 1.0])
    po, pe = 0.8, (2 * 1 + 2 * 3 + 1 * 1) / 25
    assert m["kappa"] == pytest.approx((po - pe) / (1 - pe))


def test_tiny_batch_overfits():
    model = build_model("sdreamer-seq", **TINY)
    data = [subject(16)]
    cfg = TrainConfig(epochs=50, batch_size=2, stride=8, lr=3e-3, seed=0, device="cpu")
    result = train(model, data, None, cfg)
    losses = [h["loss"] for h in result.history]
    assert losses[-1] < 0.25 * losses[0]


def test_validation_early_stopping_progress_and_cancel():
    model = build_model("sdreamer-epoch", **TINY)
    seen = []
    cfg = TrainConfig(epochs=4, batch_size=8, patience=1, device="cpu", max_steps_per_epoch=2)
    result = train(model, [subject(24)], [subject(16, seed=1, name="m2")], cfg, progress=seen.append)
    assert result.best_epoch >= 1 and "macro_f1" in result.best
    assert {"epoch", "step", "loss", "eta_s"} <= set(seen[0])
    assert not model.training
    with pytest.raises(Cancelled):
        train(model, [subject(24)], None, cfg, cancel=lambda: True)


def test_subject_without_emg_zero_filled_for_eeg_models():
    d = subject(16)
    ds = SequenceDataset([SubjectData("x", d.eeg, None, d.labels)], seq_len=8)
    assert float(ds[0][1].abs().sum()) == 0.0


def test_a_student_learns_its_teachers_answers_where_labels_are_missing():
    """Ensemble distillation: on windows with no label the student still moves toward the
    teachers' mean, and the teachers are left exactly as they were."""
    import torch
    from sleepscorer_model.losses import TEACHER
    from sleepscorer_model.objectives import ensemble_distillation

    torch.manual_seed(0)
    teachers = [build_model("sdreamer-seq", **TINY) for _ in range(2)]
    before = [{k: v.clone() for k, v in t.state_dict().items()} for t in teachers]
    student = build_model("sdreamer-seq", **TINY)
    data = subject(16)
    unlabelled = SubjectData(data.subject, data.eeg, data.emg, np.full(len(data), TEACHER))
    eeg, emg, _ = SequenceDataset([unlabelled], seq_len=8)[0]
    eeg, emg = eeg[None], emg[None]

    def gap() -> float:
        with torch.no_grad():
            target = torch.stack([torch.log_softmax(t(eeg, emg)["mix"], -1) for t in teachers]).mean(0)
            return float(torch.nn.functional.kl_div(torch.log_softmax(student(eeg, emg)["mix"], -1),
                                                    target, log_target=True, reduction="batchmean"))

    cfg = TrainConfig(epochs=30, batch_size=2, stride=8, lr=3e-3, seed=0, device="cpu")
    start = gap()
    train(student, [unlabelled], None, cfg, loss_fn=ensemble_distillation(cfg, teachers, weight=1.0))
    assert gap() < 0.3 * start
    for t, b in zip(teachers, before, strict=True):
        assert all(torch.equal(v, b[k]) for k, v in t.state_dict().items())


def test_frequency_stretch_moves_a_spectral_peak_and_keeps_the_rest():
    import torch
    from sleepscorer_model.augment import stretch_eeg_axes
    from sleepscorer_model.training import TrainConfig

    torch.manual_seed(1)
    x = torch.zeros(64, 4, 96)
    x[..., 14] = 1.0  # a 7.5-Hz theta peak in the 80-bin spectrum
    x[..., 80 + 3] = 1.0  # and in the 16 shape bands
    y = stretch_eeg_axes(x, TrainConfig(frequency_stretch=0.1, shape_from=80))
    peak = (y[:, 0, :80] * torch.arange(80)).sum(1) / y[:, 0, :80].sum(1)
    band = (y[:, 0, 80:] * torch.arange(16)).sum(1) / y[:, 0, 80:].sum(1)
    assert peak.std() > 0.5 and 10 < float(peak.mean()) < 18  # moved, around where it was
    assert torch.corrcoef(torch.stack([peak, band]))[0, 1] > 0.9  # both axes by one factor
    assert torch.equal(y[:, 1:, :], y[:, :1, :].expand_as(y[:, 1:, :]))  # one factor per window


def test_cached_subject_makes_once_then_reads_the_cache(tmp_path):
    from sleepscorer_model.corpus import cached_subject

    made = []

    def make():
        made.append(1)
        return subject(16)

    first = cached_subject(tmp_path, "m1", "v3-m1", make)
    again = cached_subject(tmp_path, "m1", "v3-m1", make)
    assert len(made) == 1 and again.subject == "v3-m1"
    assert np.array_equal(first.eeg, again.eeg) and np.array_equal(first.labels, again.labels)


def test_state_mix_rescaling_reaches_files_that_are_all_one_state():
    """The statistics of an almost-all-Wake mix put Wake at the middle of the scale, those of
    a mixed file put it below; shape features (after n_scaled) are never touched."""
    from sleepscorer_model.spectral import percentile_scale, rescaled_by_state_mix

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 0, 2, 1], 400)
    level = np.array([0.0, 2.0, 0.5])[labels]
    raw = np.stack([level + 0.1 * rng.standard_normal(len(labels)), rng.standard_normal(len(labels))], 1)
    scaled = percentile_scale(raw)
    wake_means = []
    for seed in range(40):
        out = rescaled_by_state_mix(scaled, labels, np.random.default_rng(seed), n_scaled=1)
        assert np.array_equal(out[:, 1], scaled[:, 1])
        wake_means.append(float(out[labels == 0, 0].mean()))
    assert float(scaled[labels == 0, 0].mean()) < -0.5
    assert max(wake_means) > -0.2  # some draws scale as a file of (almost) only Wake would be


def test_epoch_noise_varies_by_window_and_eeg_shape_off_zeroes_only_eeg_shape():
    import torch
    from sleepscorer_model.augment import augment, noisy_epochs

    torch.manual_seed(0)
    x = torch.zeros(400, 8, 96)
    y = noisy_epochs(x, 0.6)
    per_window = y.std(dim=(1, 2))
    assert 0.2 < float(y.std()) < 0.5 and float(per_window.min()) < 0.1 < 0.4 < float(per_window.max())
    cfg = TrainConfig(gain_jitter_eeg=0.0, shape_from=80, emg_shape_from=12, eeg_shape_off=True)
    eeg, emg = augment(torch.ones(4, 8, 96), torch.ones(4, 8, 16), cfg)
    assert torch.all(eeg[..., 80:] == 0) and torch.all(eeg[..., :80] == 1) and torch.all(emg == 1)


def test_rem_epochs_can_take_the_eeg_of_wake_and_keep_their_emg_and_label():
    import torch
    from sleepscorer_model.augment import rem_with_wake_eeg

    eeg = torch.randn(8, 6, 5)
    y = torch.tensor([[0, 1, 2, 2, 1, -1]] * 8)
    out = rem_with_wake_eeg(eeg, y, 1.0)
    wake = eeg[y == 0]
    for row in out[y == 2]:  # every REM epoch now holds some Wake epoch's EEG
        assert (row == wake).all(1).any()
    assert torch.equal(out[y != 2], eeg[y != 2])
    assert torch.equal(rem_with_wake_eeg(eeg, y, 0.0), eeg)
    assert torch.equal(rem_with_wake_eeg(eeg, torch.full_like(y, 2), 1.0), eeg)  # no Wake to borrow


def test_the_corpus_summary_hashes_each_split():
    """A card records a hash of its training arrays, so a corpus made again can be checked
    against it."""
    from sleepscorer_model.corpus import summary
    from sleepscorer_model.data import SubjectData

    def subject(label: int) -> SubjectData:
        return SubjectData("a", np.zeros((4, 3), np.float32), None, np.full(4, label))
    one, other = summary({"train": [subject(0)]}), summary({"train": [subject(1)]})
    assert one["train"]["class_counts"] == [4, 0, 0]
    assert one == summary({"train": [subject(0)]}) and one["train"]["sha256"] != other["train"]["sha256"]


def test_emg_noise_wanders_slowly_and_leaves_the_shape_features_alone():
    import torch
    from sleepscorer_model.augment import augment

    torch.manual_seed(0)
    cfg = TrainConfig(emg_noise=1.0, emg_shape_from=12)
    eeg, emg = augment(torch.zeros(500, 32, 96), torch.zeros(500, 32, 16), cfg)
    assert torch.all(eeg == 0) and torch.all(emg[..., 12:] == 0)
    levels = emg[..., :12]
    assert torch.equal(levels[..., 0], levels[..., 11])  # one tone, common to the EMG's bands
    lag1 = float((levels[:, 1:, 0] * levels[:, :-1, 0]).mean() / (levels[..., 0] ** 2).mean())
    assert 0.3 < lag1 < 0.7  # correlated in time, unlike noisy_epochs
    per_window = levels[..., 0].std(dim=1)
    assert float(per_window.min()) < 0.1 < 0.6 < float(per_window.max())
