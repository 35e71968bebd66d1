"""Automatic scoring: Recording -> per-epoch class probabilities.

The recording is processed in chunks of epochs (bounded memory). Sequence models encode
every 1-s epoch once and then run the sequence encoder on overlapping windows of K epochs
(stride K/2); each epoch takes its prediction from the one window in which it sits in the
central half, so it has context on both sides (at the recording's edges, the nearest
window). The window layout is global, so chunked scoring equals scoring whole.
Must not import Qt; progress and cancel are plain callables.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch
from sleepscorer_model.decoding import SequencePrior, smooth
from sleepscorer_model.device import pick_device
from sleepscorer_model.domain import (
    PROFILE_VERSION,
    RUN,
    LabGate,
    TokenEncoder,
    profile,
    run_starts,
    spread_epochs,
    token_encoder,
)
from sleepscorer_model.frontend import make_source
from sleepscorer_model.postprocess import RemRule, apply_rem_rule
from sleepscorer_model.preprocess import EpochSource, PreprocessConfig
from sleepscorer_model.quality import QualitySpan, check_channels
from sleepscorer_model.spectral import SpectralSource, WithoutShape, mixture_reference
from sleepscorer_model.weights import LoadedModel, resolve_model

from sleepscorer.errors import Cancelled, ModelError
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.recording import Recording
from sleepscorer.stages import BASE_EPOCH, Stage

MODALITIES = ("both", "eeg", "emg")
REM_RULE = RemRule()
SEQUENCE_PRIOR = SequencePrior()


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

    @property
    def stages(self) -> np.ndarray:
        codes = np.asarray([int(c) for c in self.classes], dtype=np.int8)
        return codes[np.argmax(self.probabilities, axis=1)]

    @property
    def confidence(self) -> np.ndarray:
        return self.probabilities.max(axis=1)


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
        warnings.append("no EMG channel: scored from EEG alone")
    if modality == "both" and not has["eeg"]:
        modality = "emg"
        warnings.append("no EEG channel: scored from EMG alone")
    if modality != "both" and not has[modality]:
        raise ModelError(recording.source, f"no {modality.upper()} channel to score from; "
                                           "set channel roles (EEG/EMG) or choose another modality")
    if modality != "both" and modality not in model_modalities:
        raise ModelError(recording.source, f"this model cannot score from {modality.upper()} alone")
    return modality, warnings


def window_starts(n: int, k: int) -> tuple[np.ndarray, int]:
    """Start epoch of each window (stride K/2) and the stride; window j owns epochs
    [j*S, (j+1)*S), which sit in its central half except at the recording's edges."""
    s = max(1, k // 2)
    j = np.arange((n + s - 1) // s)
    starts = np.clip(j * s - (k - s) // 2, 0, max(n - k, 0))
    return starts, s


class _Scorer:
    """Runs one loaded model over one EpochSource, chunk by chunk."""

    def __init__(self, loaded: LoadedModel, source: EpochSource, modality: str,
                 device: torch.device, batch_size: int):
        self.model = loaded.module
        self.source = source
        self.modality = modality
        self.device = device
        self.batch_size = batch_size
        if device.type == "cuda":
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            self.autocast = lambda: torch.autocast("cuda", dtype=dtype)
        else:
            self.autocast = nullcontext

    def _signals(self, a: int, b: int) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        out = []
        for name in ("eeg", "emg"):
            if name in self.source.channels and self.modality in ("both", name):
                out.append(torch.from_numpy(self.source.epochs(name, a, b)).to(self.device))
            else:
                out.append(None)
        return out[0], out[1]

    def encode(self, a: int, b: int, cancel: Callable[[], bool] | None) -> torch.Tensor:
        """Per-epoch outputs for epochs [a, b): tokens (sequence models) or logits."""
        parts = []
        for s in range(a, b, self.batch_size):
            if cancel is not None and cancel():
                raise Cancelled()
            eeg, emg = self._signals(s, min(b, s + self.batch_size))
            with self.autocast():
                if self.model.seq_len == 1:
                    parts.append(self.model.predict(eeg, emg, self.modality).float())
                else:
                    parts.append(self.model.encode_epochs(eeg, emg, self.modality))
        return torch.cat(parts)

    def sequence(self, tokens: torch.Tensor, starts: np.ndarray, offset: int, k: int
                 ) -> torch.Tensor:
        """Logits (n_windows, k, C) for windows starting at `starts` (epoch indices)."""
        idx = torch.as_tensor(starts - offset)[:, None] + torch.arange(k)
        out = []
        n_win = max(1, self.batch_size // k)
        for s in range(0, len(idx), n_win):
            with self.autocast():
                windows = tokens[idx[s: s + n_win].to(tokens.device)]
                out.append(self.model.forward_sequence(windows, self.modality).float())
        return torch.cat(out)

    def run(self, n: int, chunk_epochs: int, progress: Callable[[int, int], None] | None,
            cancel: Callable[[], bool] | None) -> np.ndarray:
        n_classes = self.model.cfg.n_classes
        probs = np.empty((n, n_classes), dtype=np.float32)
        k = min(self.model.seq_len, n)
        if self.model.seq_len == 1:
            for a in range(0, n, chunk_epochs):
                b = min(n, a + chunk_epochs)
                probs[a:b] = torch.softmax(self.encode(a, b, cancel), -1).cpu().numpy()
                if progress is not None:
                    progress(b, n)
            return probs
        starts, s = window_starts(n, k)
        per_chunk = max(1, chunk_epochs // s)
        for j0 in range(0, len(starts), per_chunk):
            j1 = min(len(starts), j0 + per_chunk)
            a, b = int(starts[j0:j1].min()), int(starts[j0:j1].max()) + k
            logits = self.sequence(self.encode(a, b, cancel), starts[j0:j1], a, k)
            p = torch.softmax(logits, -1).cpu().numpy()
            owned = np.arange(j0 * s, min(n, j1 * s))  # epoch i is owned by window i // s
            w = owned // s - j0
            probs[owned] = p[w, owned - starts[owned // s]]
            if progress is not None:
                progress(int(owned[-1]) + 1, n)
        return probs


def network_probabilities(loaded: LoadedModel, source: EpochSource, cfg: PreprocessConfig,
                          modality: str, device: torch.device, batch_size: int = 512,
                          chunk_epochs: int = 8192,
                          progress: Callable[[int, int], None] | None = None,
                          cancel: Callable[[], bool] | None = None,
                          usable: np.ndarray | None = None) -> np.ndarray:
    """The network's (n_epochs, C) probabilities for every epoch of `source`, before any
    decoding. A card with `shape_passes: 2` is read with and without its shape features and
    the two readings averaged; one with `mixture_shares` is first rescaled by its own labels
    (`mixture_scaled`; `usable`: the epochs those labels may come from), unless it reads the
    EMG alone: without the EEG its labels hold no REM and the rescaling lost 3.6 points on the
    alternative generator. Progress runs once from 0 to n over all passes."""
    read = partial(_read, loaded, cfg=cfg, modality=modality, device=device, batch_size=batch_size,
                   chunk_epochs=chunk_epochs, cancel=cancel)
    if not (cfg.mixture_shares and isinstance(source, SpectralSource) and modality != "emg"):
        return read(source, progress=progress)
    n = source.n_epochs
    first = min(n, MIXTURE_SAMPLE) * cfg.mixture_passes  # about the epochs read before the last pass
    report = None if progress is None else (
        lambda done, _of: progress(min(n, done * n // (first + n)), n))
    source = mixture_scaled(loaded, source, read, cfg, usable, report)
    final = None if progress is None else (
        lambda done, of: progress(min(n, (first + done * n // max(of, 1)) * n // (first + n)), n))
    return read(source, progress=final)


def _read(loaded: LoadedModel, source: EpochSource, cfg: PreprocessConfig, modality: str,
          device: torch.device, batch_size: int, chunk_epochs: int,
          progress: Callable[[int, int], None] | None,
          cancel: Callable[[], bool] | None) -> np.ndarray:
    readings = [source]
    if cfg.shape_passes == 2 and cfg.front_end == "spectral":
        readings.append(WithoutShape(source))
    n = source.n_epochs
    total = np.zeros((n, loaded.module.cfg.n_classes), np.float32)
    for k, src in enumerate(readings):
        share = None if progress is None else (
            lambda done, of, k=k: progress((k * of + done) // len(readings), of))
        total += _Scorer(loaded, src, modality, device, batch_size).run(n, chunk_epochs, share, cancel)
    return total / len(readings)


MIXTURE_SAMPLE = 7200  # the labels that choose the scaling come from at most 2 h of epochs,
MIXTURE_RUN = 600  # read as evenly spread 10-min runs (a 24 h file costs 8 % more per pass);
# a file with under 5 min of usable epochs keeps its own percentiles: too few labels to draw from


class _EpochSubset:
    """Some epochs of a source, read as if they were a recording of their own."""

    def __init__(self, source: SpectralSource, picked: np.ndarray):
        self.n_epochs = len(picked)
        self.cfg = source.cfg
        self.channels = {name: f[picked] for name, f in source.channels.items()}

    def epochs(self, name: str, start: int, stop: int) -> np.ndarray:
        return self.channels[name][start:stop]


def mixture_scaled(loaded: LoadedModel, source: SpectralSource,
                   read: Callable[..., np.ndarray], cfg: PreprocessConfig,
                   usable: np.ndarray | None = None,
                   progress: Callable[[int, int], None] | None = None) -> SpectralSource:
    """`source` rescaled by a reference with the card's state shares, drawn from the model's
    own decoded labels, `cfg.mixture_passes` times (model.spectral.mixture_reference).

    A refinement that would leave out a state the previous one had stops early and keeps
    the previous scaling: a state's last few epochs cannot stand for a fixed share of it.
    """
    picked = spread_epochs(source.n_epochs, MIXTURE_SAMPLE, MIXTURE_RUN)
    if usable is not None:
        picked = picked[usable[picked]]
    shares = {loaded.classes.index(stage): w for stage, w in
              zip((Stage.WAKE, Stage.NREM, Stage.REM), cfg.mixture_shares, strict=True)
              if stage in loaded.classes}
    current, states = source, None
    for k in range(cfg.mixture_passes):
        if len(picked) < MIXTURE_RUN // 2:
            break
        done = None if progress is None else (
            lambda d, of, k=k: progress(k * len(picked) + d * len(picked) // max(of, 1), 0))
        p = _decode(read(_EpochSubset(current, picked), progress=done), loaded.classes,
                    SEQUENCE_PRIOR, REM_RULE, [])
        labels = np.full(source.n_epochs, -1)
        labels[picked] = p.argmax(1)
        reference = mixture_reference(labels, shares)
        if reference is None:
            break
        found = set(np.unique(labels[reference]).tolist())
        if states is not None and not states <= found:
            break
        current, states = source.rescaled(reference), found
    return current


def combine_epochs(p1: np.ndarray, epoch_length: float, n_out: int) -> np.ndarray:
    """1-s probabilities -> probabilities per `epoch_length` epoch (overlap-weighted mean)."""
    if abs(epoch_length - 1.0) < 1e-9:
        return p1[:n_out]
    n1 = len(p1)
    if epoch_length < 1.0:  # finer epochs take the 1-s epoch that contains their centre
        centre = ((np.arange(n_out) + 0.5) * epoch_length).astype(int)
        return p1[np.minimum(centre, n1 - 1)]
    i = np.arange(n1, dtype=np.float64)
    k0 = np.floor(i / epoch_length + 1e-9).astype(int)
    w0 = np.minimum(i + 1, (k0 + 1) * epoch_length) - i
    acc = np.zeros((n_out + 2, p1.shape[1]))
    wsum = np.zeros(n_out + 2)
    for k, w in ((k0, w0), (k0 + 1, 1.0 - w0)):
        k = np.minimum(k, n_out + 1)
        np.add.at(acc, k, w[:, None] * p1)
        np.add.at(wsum, k, w)
    return (acc[:n_out] / np.maximum(wsum[:n_out, None], 1e-12)).astype(np.float32)


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
          sequence_prior: SequencePrior | None = SEQUENCE_PRIOR) -> ScoreResult:
    """Score every whole epoch of `recording`; raises Cancelled if `cancel()` turns true.

    `sequence_prior`: the network's probabilities are decoded with the HMM of real expert
    hypnograms (model.decoding: MSSV bout lengths and transitions); None gives the network's
    own per-epoch output. With `rem_rule` None the HMM allows Wake -> REM too.

    `rem_rule`: REM that no NREM precedes is scored Wake (model.postprocess); None turns
    this off (narcolepsy / cataplexy models, where REM straight from wake is the finding).
    `lab_gate`: a fine-tuned model scores only recordings like its lab's (model.domain);
    False uses it on every recording.
    """
    dev = pick_device(device)
    loaded = resolve_model(weights, dev)
    modality, warnings = choose_modality(recording, modality, loaded.modalities)
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
    bad, spans = check_channels(_used_channels(recording, modality), n1)
    usable = ~np.logical_or.reduce(list(bad.values())) if bad else None
    read = partial(network_probabilities, loaded, source, cfg, device=dev, batch_size=batch_size,
                   chunk_epochs=chunk_epochs, cancel=cancel, usable=usable)
    with torch.inference_mode():
        p1 = read(modality, progress=progress)
        _eeg_where_only_emg_bad(p1, bad, loaded.modalities, read)
    p1 = _decode(p1, loaded.classes, sequence_prior, rem_rule, warnings)
    p1, classes = gate_unusable(p1, loaded.classes, bad, modality)
    warnings += _quality_warnings(spans, modality)
    probs = combine_epochs(p1, epoch_length, n_out)
    return ScoreResult(probs, classes, loaded.name, str(dev), modality, epoch_length,
                       warnings, spans)


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


def _decode(p1: np.ndarray, classes: tuple[Stage, ...], sequence_prior: SequencePrior | None,
            rem_rule: RemRule | None, warnings: list[str]) -> np.ndarray:
    """The HMM first, then the REM rule on what it decoded; without the rule the HMM must
    allow Wake -> REM itself. Appends a warning when the rule changed anything."""
    if sequence_prior is not None:
        if rem_rule is None:
            sequence_prior = replace(sequence_prior, allow_wake_to_rem=True)
        p1 = smooth(p1, classes, sequence_prior, BASE_EPOCH)
    if rem_rule is not None:
        p1, changed = apply_rem_rule(p1, classes, BASE_EPOCH, rem_rule)
        if changed:
            warnings.append(f"{changed} s of REM with no NREM before it scored Wake (rodents "
                            "enter REM from NREM; turn this off for narcolepsy models)")
    return p1


def _quality_warnings(spans: list[QualitySpan], modality: str) -> list[str]:
    """One line per bad span, saying how its epochs were scored, so a reviewer knows which
    ones to check."""
    warnings = []
    for span in spans:
        fallback = span.channel == "EMG" and modality == "both"
        warnings.append(f"{span.describe()}: " + ("scored from EEG alone where the EEG is usable" if fallback
                                                  else "scored Artifact, please review"))
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
    are kept unless overwrite_person)."""
    hyp = hypnogram if hypnogram is not None else Hypnogram(len(result.probabilities),
                                                             result.epoch_length)
    hyp.apply_model(result.probabilities, result.classes, overwrite_person=overwrite_person)
    return hyp
