"""Automatic scoring: Recording -> per-epoch class probabilities, decoded and gated.

`score` picks the modality and the lab's model, reads the recording with the network
(model.reading), decodes it (model.decoding), and gates unusable signal (model.quality).
Must not import Qt; progress and cancel are plain callables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
from sleepscorer_model.corrections import person_targets
from sleepscorer_model.decoding import SEQUENCE_PRIOR, SequencePrior, decode
from sleepscorer_model.device import pick_device
from sleepscorer_model.domain import (
    PROFILE_VERSION,
    RUN,
    LabGate,
    TokenEncoder,
    profile,
    run_starts,
    token_encoder,
)
from sleepscorer_model.frontend import make_source
from sleepscorer_model.postprocess import REM_RULE, RemRule, atonia_to_rem, tone_to_wake
from sleepscorer_model.preprocess import EpochSource, PreprocessConfig
from sleepscorer_model.quality import QualitySpan, check_channels, signal_record, stretches
from sleepscorer_model.reading import calibration_reference, network_probabilities
from sleepscorer_model.self_training import self_trained
from sleepscorer_model.weights import LoadedModel, resolve_model

from sleepscorer.epoch_windows import mean_probabilities
from sleepscorer.errors import ModelError
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.recording import MIN_SIGNAL_RATE, NO_EMG_NOTE, Recording, too_slow_to_score
from sleepscorer.stages import BASE_EPOCH, Stage

MODALITIES = ("both", "eeg", "emg")


@dataclass
class ScoreResult:
    probabilities: np.ndarray  # (n_epochs, n_classes) float32
    classes: tuple[Stage, ...]
    model_name: str
    device_used: str
    modality: str = "both"  # what was actually used (EEG-only recordings -> "eeg")
    epoch_length: float = 1.0
    warnings: list[str] = field(default_factory=list)
    quality: list[QualitySpan] = field(default_factory=list)  # unusable signal, per channel
    per_second: np.ndarray | None = None  # the 1-s probabilities `probabilities` come from
    weights_sha256: str | None = None  # the card's hash of the network, as `info` prints it

    @property
    def stages(self) -> np.ndarray:
        codes = np.asarray([int(c) for c in self.classes], dtype=np.int8)
        return codes[np.argmax(self.probabilities, axis=1)]

    @property
    def confidence(self) -> np.ndarray:
        return self.probabilities.max(axis=1)

    @property
    def signal(self) -> dict:
        """`quality` and `modality` as plain values, for the CSV's note column
        (model.quality.note_column) now or from a saved session."""
        return signal_record(self.quality, self.modality)

    @property
    def flat_channels(self) -> set[str]:
        """Names of the channels the signal-quality gate found flat somewhere."""
        return {span.name for span in self.quality if span.reason == "flat"}


def choose_modality(recording: Recording, requested: str, model_modalities: tuple[str, ...]
                    ) -> tuple[str, list[str]]:
    """The modality to score with, falling back to what the recording and model have."""
    if requested not in MODALITIES:
        raise ModelError(recording.source, f"unknown modality {requested!r}; use both, eeg or emg")
    has = {"eeg": recording.eeg is not None, "emg": recording.emg is not None}
    warnings = []
    modality = requested
    if modality == "both" and "emg" not in model_modalities:
        modality = "eeg"
        warnings.append("this model uses EEG only")
    if modality == "both" and not has["emg"]:
        modality = "eeg"
        warnings.append(NO_EMG_NOTE)  # the recording's own words, so an output says it once
    if modality == "both" and not has["eeg"]:
        modality = "emg"
        warnings.append("no EEG channel: scored from EMG alone")
    if modality != "both" and not has[modality]:
        raise ModelError(recording.source, f"no {modality.upper()} channel to score from; "
                                           "set channel roles (EEG/EMG) or choose another modality")
    if modality != "both" and modality not in model_modalities:
        raise ModelError(recording.source, f"this model cannot score from {modality.upper()} alone")
    return modality, warnings


def combine_epochs(p1: np.ndarray, epoch_length: float, n_out: int) -> np.ndarray:
    """1-s probabilities -> probabilities per `epoch_length` epoch: the one rule of the CLI and
    of the app's export (sleepscorer.epoch_windows, the overlap-weighted mean)."""
    return mean_probabilities(p1, epoch_length / BASE_EPOCH, n_out)


def source_profile(source: EpochSource, encoder: TokenEncoder | None = None,
                   version: int = PROFILE_VERSION) -> np.ndarray:
    """model.domain.profile of a recording, read as evenly spread runs of epochs."""
    starts = run_starts(source.n_epochs)

    def take(name: str) -> np.ndarray | None:
        if name not in source.channels:
            return None
        return np.concatenate([source.epochs(name, a, min(source.n_epochs, a + RUN))
                               for a in starts])
    return profile(take("eeg"), take("emg"), encoder, version)


def _arrays(loaded: LoadedModel) -> dict:
    return PreprocessConfig(**loaded.card.get("preprocessing", {})).array_dict()


def route_to_lab_model(loaded: LoadedModel, source: EpochSource, device: torch.device
                       ) -> tuple[LoadedModel, str | None]:
    """A fine-tuned model with a lab gate, or its parent for recordings unlike its lab."""
    gate = LabGate.from_card(loaded.card.get("lab_gate"))
    if gate is None:
        return loaded, None
    from sleepscorer_model.registry import find_parent

    parent = loaded.parent or find_parent(loaded)
    if parent is None or _arrays(parent) != _arrays(loaded):
        return loaded, None
    parent.module.to(device).eval()
    fingerprint = source_profile(source, token_encoder(parent.module), gate.version)
    if gate.matches(fingerprint):
        return loaded, None
    d_lab, d_train = gate.distances(fingerprint)
    return parent, (f"recording unlike the lab {loaded.name!r} was fine-tuned for "
                    f"(fingerprint distance {d_lab:.2f}, training labs {d_train:.2f}): "
                    f"scored with its parent model {parent.name!r}")


def score(recording: Recording, weights: None | str | Path | LoadedModel = None,
          modality: str = "both", device: str = "auto",
          progress: Callable[[int, int], None] | None = None,
          cancel: Callable[[], bool] | None = None, epoch_length: float = 1.0,
          batch_size: int | None = None, chunk_epochs: int = 8192,
          rem_rule: RemRule | None = REM_RULE, lab_gate: bool = True,
          sequence_prior: SequencePrior | None = SEQUENCE_PRIOR,
          calibration: Hypnogram | None = None, emg_rules: bool = True) -> ScoreResult:
    """Score every whole epoch of `recording`; raises Cancelled if `cancel()` turns true.

    `sequence_prior`: the network's probabilities are decoded with the HMM of real expert
    hypnograms (model.decoding: MSSV bout lengths and transitions); None gives the network's
    own per-epoch output. With `rem_rule` None the HMM allows Wake -> REM too.

    `rem_rule`: REM that no NREM precedes is scored Wake (model.postprocess); None turns
    this off (narcolepsy / cataplexy models, where REM straight from wake is the finding).
    `lab_gate`: a fine-tuned model scores only recordings like its lab's (model.domain);
    False uses it on every recording.
    `calibration`: a hypnogram whose person-set epochs choose the file's scaling
    (model.reading.calibration_reference) when there are enough of them.
    `emg_rules`: the card's atonia and tone rules (model.postprocess); False turns them off
    for models of REM without atonia (REM sleep behaviour disorder), whose REM keeps tone.
    """
    dev = pick_device(device)
    loaded = resolve_model(weights, dev)
    modality, warnings = choose_modality(recording, modality, loaded.modalities)
    used = _used_channels(recording, modality)
    for ch in used.values():
        if ch.rate < MIN_SIGNAL_RATE:  # epochs of a few samples: nothing to read, for minutes
            raise ModelError(recording.source, too_slow_to_score(ch))
    n1 = recording.n_epochs(BASE_EPOCH)
    n_out = recording.n_epochs(epoch_length)
    if n1 == 0 or n_out == 0:
        raise ModelError(recording.source, "recording is shorter than one epoch; nothing to score")
    cfg = PreprocessConfig(**loaded.card.get("preprocessing", {}))
    source = make_source(recording, cfg, use_eeg=modality in ("both", "eeg"),
                         use_emg=modality in ("both", "emg"))
    if lab_gate:
        loaded, note = route_to_lab_model(loaded, source, dev)
        warnings += [note] if note else []
    batch_size = batch_size or (4096 if dev.type == "cuda" else 512)
    bad, spans = check_channels(used, n1)
    usable = ~np.logical_or.reduce(list(bad.values())) if bad else None
    person = None if calibration is None else person_targets(calibration, loaded.classes, n1)
    reference = calibration_reference(person, source, loaded, cfg, modality, usable)
    if reference is not None:
        counts = ", ".join(f"{s.label} {int((person == i).sum())}" for i, s in enumerate(loaded.classes)
                           if (person == i).any())
        warnings.append(f"scaled by your {int((person >= 0).sum())} labelled epochs ({counts}), "
                        "not by the model's first reading")
    read = partial(network_probabilities, loaded, source, cfg, device=dev, batch_size=batch_size,
                   chunk_epochs=chunk_epochs, cancel=cancel, usable=usable, reference=reference)
    with torch.inference_mode():
        p1 = read(modality, progress=progress)
        _eeg_where_only_emg_bad(p1, bad, loaded.modalities, read)
    with_rules = partial(_with_emg_rules, source=source, cfg=cfg, classes=loaded.classes,
                         modality=modality, bad=bad, sequence_prior=sequence_prior,
                         rem_rule=rem_rule) if emg_rules else (lambda p: p)
    if cfg.self_training and modality == "both" and hasattr(source, "raw"):
        first = decode(with_rules(p1), loaded.classes, sequence_prior, rem_rule, [])
        p1 = self_trained(p1, source.raw, cfg.self_training, usable, person, decoded=first)
    p1 = decode(with_rules(p1), loaded.classes, sequence_prior, rem_rule, warnings)
    p1, classes = gate_unusable(p1, loaded.classes, bad, modality)
    warnings += _quality_warnings(spans, modality)
    probs = combine_epochs(p1, epoch_length, n_out)
    tail = n_out * epoch_length - n1
    if tail > 1e-9:  # finer epochs than the model's 1 s: a partial last second is not read
        warnings.append(f"the last {tail:g} s come after the last whole second the model reads: "
                        "they take that second's label")
    if epoch_length < BASE_EPOCH:  # a user trial read 0.5-s output as finer detail
        warnings.append(f"{epoch_length:g}-s epochs repeat the label of the model's 1-s epoch "
                        "they fall in: they show no finer detail than 1 s")
    left = recording.duration_s - n_out * epoch_length  # all of it, not whole seconds only
    if left >= BASE_EPOCH:  # the 5 s after the last whole 7-s epoch went without a word
        warnings.append(f"the last {round(left, 2):g} s are shorter than one {epoch_length:g}-s "
                        "epoch and are not in the output")
    return ScoreResult(probs, classes, loaded.name, str(dev), modality, epoch_length,
                       warnings, spans, per_second=np.asarray(p1, np.float32),
                       weights_sha256=loaded.card.get("weights_sha256"))


def _used_channels(recording: Recording, modality: str) -> dict:
    """The channels scored from, by role: only these are checked, so a bad channel the
    modality leaves out raises no warning and gates no epoch."""
    return {role: ch for role, ch, used in (("EEG", recording.eeg, modality != "emg"),
                                            ("EMG", recording.emg, modality != "eeg"))
            if used and ch is not None}


def _eeg_where_only_emg_bad(p1: np.ndarray, bad: dict[str, np.ndarray],
                            modalities: tuple[str, ...],
                            read: Callable[..., np.ndarray]) -> None:
    """Epochs whose EMG alone is unusable take the EEG-only reading (in place), so a lost
    EMG electrode does not cost epochs the EEG can still score."""
    emg_only_bad = (bad["EMG"] & ~bad["EEG"]) if {"EEG", "EMG"} <= bad.keys() else None
    if emg_only_bad is not None and emg_only_bad.any() and "eeg" in modalities:
        # the same source: a scorer of modality "eeg" reads only its EEG channel
        p_eeg = read("eeg", progress=None)
        p1[emg_only_bad] = p_eeg[emg_only_bad]


def _with_emg_rules(p1: np.ndarray, source: EpochSource, cfg: PreprocessConfig,
                    classes: tuple[Stage, ...], modality: str, bad: dict[str, np.ndarray],
                    sequence_prior: SequencePrior | None, rem_rule: RemRule | None) -> np.ndarray:
    """The card's atonia and tone rules (PreprocessConfig.atonia_rem, .tone_wake), both judged
    against the NREM of one first decoding, on the epochs whose EMG is usable; unchanged when
    off or without an EMG."""
    level = source.emg_level() if hasattr(source, "emg_level") else None
    if (cfg.atonia_rem is None and cfg.tone_wake is None) or modality != "both" or level is None:
        return p1
    labels = decode(p1, classes, sequence_prior, rem_rule, []).argmax(1)
    usable = ~bad["EMG"] if "EMG" in bad else None
    if cfg.atonia_rem is not None:
        p1 = atonia_to_rem(p1, level, labels, classes, cfg.atonia_rem, usable)
    if cfg.tone_wake is not None:
        p1 = tone_to_wake(p1, level, labels, classes, cfg.tone_wake, usable)
    return p1


def _quality_warnings(spans: list[QualitySpan], modality: str) -> list[str]:
    """One line per stretch of bad signal (nearby spans of a channel merged), saying how its
    epochs were scored, so a reviewer knows which ones to check; the CSV's note column
    names every epoch."""
    warnings = []
    for stretch in stretches(spans):
        fallback = stretch.first.channel == "EMG" and modality == "both"
        warnings.append(f"{stretch.describe()}: " + ("scored from EEG alone where the EEG is usable"
                                                     if fallback else "scored Artifact, please review"))
    return warnings


ARTIFACT_PROBABILITY = 0.5  # gated epochs: Artifact, at a confidence `N` stops at


def gate_unusable(p1: np.ndarray, classes: tuple[Stage, ...], bad: dict[str, np.ndarray],
                  modality: str) -> tuple[np.ndarray, tuple[Stage, ...]]:
    """Epochs whose only usable signal is gone become Artifact (an extra class column).

    The model's own probabilities are kept, halved, so a reviewer still sees its guess.
    """
    unusable = bad.get("EMG") if modality == "emg" else bad.get("EEG")
    if unusable is None or not unusable.any() or Stage.ARTIFACT in classes:
        return p1, classes
    out = np.concatenate([p1, np.zeros((len(p1), 1), p1.dtype)], 1)
    k = p1.shape[1]
    # a little toward uniform, so a certain model guess (decoded posteriors reach 1.0) stays
    # below Artifact's 0.5 instead of tying with it
    out[unusable, :-1] = (1 - ARTIFACT_PROBABILITY) * (0.98 * out[unusable, :-1] + 0.02 / k)
    out[unusable, -1] = ARTIFACT_PROBABILITY
    return out, (*classes, Stage.ARTIFACT)


def to_hypnogram(result: ScoreResult, hypnogram: Hypnogram | None = None,
                 overwrite_person: bool = False) -> Hypnogram:
    """Put model output into a Hypnogram (a new one, or an existing one: a person's labels
    are kept unless overwrite_person). A new one at another epoch length than 1 s is the 1-s
    labels through `Hypnogram.to_epoch_length`, the rule of the app's export too."""
    if hypnogram is None and result.per_second is not None \
            and abs(result.epoch_length - BASE_EPOCH) > 1e-9:
        one = Hypnogram(len(result.per_second), BASE_EPOCH)
        one.apply_model(result.per_second, result.classes)
        return one.to_epoch_length(result.epoch_length, len(result.probabilities))
    hyp = hypnogram if hypnogram is not None else Hypnogram(len(result.probabilities),
                                                             result.epoch_length)
    hyp.apply_model(result.probabilities, result.classes, overwrite_person=overwrite_person)
    return hyp
