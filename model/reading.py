"""The network's reading of a recording: per-epoch class probabilities, before decoding.

The recording is processed in chunks of epochs (bounded memory). Sequence models encode
every 1-s epoch once and then run the sequence encoder on overlapping windows of K epochs
(stride K/2); each epoch takes its prediction from the one window in which it sits in the
central half, so it has context on both sides (at the recording's edges, the nearest
window). The window layout is global, so chunked scoring equals scoring whole. A card may
ask for two readings (with and without shape features) and for mixture scaling first.
Must not import Qt; progress and cancel are plain callables.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from functools import partial

import numpy as np
import torch
from sleepscorer_model.decoding import SEQUENCE_PRIOR, decode
from sleepscorer_model.domain import spread_epochs
from sleepscorer_model.postprocess import REM_RULE, wake_nrem_rem
from sleepscorer_model.preprocess import EpochSource, PreprocessConfig
from sleepscorer_model.self_training import own_agreement, recording_features
from sleepscorer_model.spectral import FeatureView, SpectralSource, WithoutShape, mixture_reference
from sleepscorer_model.weights import LoadedModel

from sleepscorer.errors import Cancelled
from sleepscorer.stages import Stage


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
                 device: torch.device, batch_size: int, rem_conflict: float = 0.0):
        self.model = loaded.module
        self.source = source
        self.modality = modality
        self.device = device
        self.batch_size = batch_size
        found = wake_nrem_rem(loaded.classes)
        self.conflict = ((rem_conflict, *found)
                         if rem_conflict > 0 and modality == "both" and found is not None else None)
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
                logits = self.model.forward_sequence(windows, self.modality).float()
                if self.conflict is not None:
                    logits = self._with_conflict(logits, windows)
                out.append(logits)
        return torch.cat(out)

    def _with_conflict(self, logits: torch.Tensor, windows: torch.Tensor) -> torch.Tensor:
        """Log-probabilities with lam x P_EEG(Wake) x P_EMG(NREM) added to P(REM), the two
        pathways read from the same epoch tokens (PreprocessConfig.rem_conflict)."""
        lam, wake, nrem, rem = self.conflict
        p_eeg = torch.softmax(self.model.forward_sequence(windows[:, :, 0:1], "eeg").float(), -1)
        p_emg = torch.softmax(self.model.forward_sequence(windows[:, :, 1:2], "emg").float(), -1)
        p = torch.softmax(logits, -1)
        p[..., rem] += lam * p_eeg[..., wake] * p_emg[..., nrem]
        return torch.log(p / p.sum(-1, keepdim=True))

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
                          usable: np.ndarray | None = None,
                          reference: np.ndarray | None = None) -> np.ndarray:
    """The network's (n_epochs, C) probabilities for every epoch of `source`, before any
    decoding. A card with `shape_passes: 2` is read with and without its shape features and
    the two readings averaged; one with `mixture_shares` is first rescaled by its own labels
    (`mixture_scaled`; `usable`: the epochs those labels may come from), unless it reads the
    EMG alone: without the EEG its labels hold no REM and the rescaling lost 3.6 points on the
    alternative generator. A given `reference` (epoch indices, e.g. `calibration_reference` of
    a person's labels) chooses the scaling instead. Progress runs once from 0 to n over all
    passes."""
    read = partial(_read, loaded, cfg=cfg, modality=modality, device=device, batch_size=batch_size,
                   chunk_epochs=chunk_epochs, cancel=cancel)
    if not (cfg.mixture_shares and isinstance(source, SpectralSource) and modality != "emg"):
        return read(source, progress=progress)
    if reference is not None:
        return read(source.rescaled(reference), progress=progress)
    n = source.n_epochs
    candidates = cfg.composition_candidates if modality == "both" else None
    first = min(n, MIXTURE_SAMPLE) * (cfg.mixture_passes + len(candidates or ()) + bool(candidates))
    report = None if progress is None else (
        lambda done, _of: progress(min(n, done * n // (first + n)), n))
    source = mixture_scaled(loaded, source, read, cfg, usable, report, candidates)
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
        scorer = _Scorer(loaded, src, modality, device, batch_size, cfg.rem_conflict)
        total += scorer.run(n, chunk_epochs, share, cancel)
    return total / len(readings)


MIXTURE_SAMPLE = 7200  # the labels that choose the scaling come from at most 2 h of epochs,
MIXTURE_RUN = 600  # read as evenly spread 10-min runs (a 24 h file costs 8 % more per pass);
# a file with under 5 min of usable epochs keeps its own percentiles: too few labels to draw from


def mixture_scaled(loaded: LoadedModel, source: SpectralSource,
                   read: Callable[..., np.ndarray], cfg: PreprocessConfig,
                   usable: np.ndarray | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   candidates: tuple[float, ...] | None = None) -> SpectralSource:
    """`source` rescaled by a reference with the card's state shares, drawn from the model's
    own decoded labels, `cfg.mixture_passes` times (model.spectral.mixture_reference).

    A refinement that would leave out a state the previous one had stops early and keeps
    the previous scaling: a state's last few epochs cannot stand for a fixed share of it.
    With `candidates` (presumed shares of Wake: the card's `composition_candidates`, for
    EEG+EMG only) the scaling may then be replaced (`_best_composition`). Without the EMG the
    recording's own features mix Wake with NREM and cannot judge them: EEG-only scoring of
    one simulated animal fell 0.83 -> 0.25 with them.
    """
    picked = spread_epochs(source.n_epochs, MIXTURE_SAMPLE, MIXTURE_RUN)
    if usable is not None:
        picked = picked[usable[picked]]
    shares = class_shares(loaded, cfg)
    passes = 0

    def decoded(scaled: SpectralSource) -> tuple[np.ndarray, np.ndarray]:
        """The network's reading of the picked epochs and its decoding."""
        nonlocal passes
        done = None if progress is None else (
            lambda d, of, k=passes: progress(k * len(picked) + d * len(picked) // max(of, 1), 0))
        passes += 1
        part = FeatureView(scaled.cfg, {name: f[picked] for name, f in scaled.channels.items()},
                           len(picked))
        p = read(part, progress=done)
        return p, decode(p, loaded.classes, SEQUENCE_PRIOR, REM_RULE, [])

    def reference_of(labels_picked: np.ndarray) -> np.ndarray | None:
        labels = np.full(source.n_epochs, -1)
        labels[picked] = labels_picked
        return mixture_reference(labels, shares)

    current, states, first = source, None, None
    for _ in range(cfg.mixture_passes):
        if len(picked) < MIXTURE_RUN // 2:
            break
        p, sure = decoded(current)
        first = p if first is None else first
        labels = sure.argmax(1)
        reference = reference_of(labels)
        if reference is None:
            break
        found = set(np.unique(labels[np.isin(picked, reference)]).tolist())
        if states is not None and not states <= found:
            break
        current, states = source.rescaled(reference), found
    if candidates and states is not None:
        current = _best_composition(loaded, source, picked, first, current, candidates,
                                    decoded, reference_of)
    return current


CANDIDATE_MARGIN = 0.005  # a presumed composition replaces the first reading's only if its
# labels agree with the recording's own discriminant by at least this much more
COMPOSITION_TOLERANCE = 0.1  # and only if its reading bears the presumed share of Wake out:
# scaled as if 10 % Wake, a file all Wake reads 33 % and its quiet half as NREM


def _best_composition(loaded: LoadedModel, source: SpectralSource, picked: np.ndarray,
                      first: np.ndarray, current: SpectralSource,
                      wake_shares: tuple[float, ...], decoded: Callable, reference_of: Callable
                      ) -> SpectralSource:
    """The mixture scaling, or one started from a presumed share of Wake, whichever yields
    labels the recording's own features agree with best (self_training.own_agreement).

    Why: the first reading scales by the file's own percentiles, which sit inside Wake in a
    file that is mostly Wake and inside NREM in one that is mostly sleep; its labels then
    look balanced, the mixture scaling drawn from them keeps the error, and so it settles
    there (a simulated 22.5-min piece, 86 % Wake: 0.46, scaled by its true labels 0.94).
    Candidates start instead from the first reading's epochs ranked by P(Wake), the top
    share called Wake; each scaling is read once more, one whose reading does not bear its
    presumed share out is dropped, and the agreement of the reading picks among the rest.
    A candidate is not refined further: its labels would hold the error the presumed share
    corrected (a piece 6 % Wake, presumed 10 %: 0.91, refined 0.76).

    Not in the shipped card: simulated short pieces gained (0.934 -> 0.972 on a set simulated
    after its rule), but on a 22.5-min crop of the real demo the tolerance dropped the 10 %
    candidate and the 95 % one, read 90 % Wake, agreed best of the rest: 0.42 against the anchor
    consensus (0.92 without it). On the real demo both priors rank the 10 % candidate first,
    which calls about 7 points of its Wake NREM (docs/transfer.md, session 18).
    """
    found = wake_nrem_rem(loaded.classes)
    if found is None or "eeg" not in source.raw:
        return current
    wake, nrem, rem = found
    features = recording_features({name: f[picked] for name, f in source.raw.items()})
    best = own_agreement(features, decoded(current)[1])
    if best is None:
        return current
    best += CANDIDATE_MARGIN
    order = np.argsort(-first[:, wake], kind="stable")
    for share in wake_shares:
        labels = np.where(first[:, rem] > first[:, nrem], rem, nrem)
        labels[order[:int(round(share * len(order)))]] = wake
        reference = reference_of(labels)
        if reference is None:
            continue
        candidate = source.rescaled(reference)
        sure = decoded(candidate)[1]
        if abs(np.mean(sure.argmax(1) == wake) - share) > COMPOSITION_TOLERANCE:
            continue
        agreement = own_agreement(features, sure)
        if agreement is not None and agreement > best:
            best, current = agreement, candidate
    return current


def class_shares(loaded: LoadedModel, cfg: PreprocessConfig) -> dict[int, float]:
    """The card's Wake / NREM / REM mixture shares, by the model's class index."""
    return {loaded.classes.index(stage): w for stage, w in
            zip((Stage.WAKE, Stage.NREM, Stage.REM), cfg.mixture_shares, strict=True)
            if stage in loaded.classes}


CALIBRATION_MIN = 120  # a person's labels scale the file from 2 min on,
CALIBRATION_STATE_MIN = 30  # covering at least two states with 30 s each


def calibration_reference(labels: np.ndarray | None, source: EpochSource, loaded: LoadedModel,
                          cfg: PreprocessConfig, modality: str,
                          usable: np.ndarray | None = None) -> np.ndarray | None:
    """Mixture scaling's reference drawn from a person's labels (AccuSleep's calibration), or
    None when they are too few to stand for the states.

    Why: the reference otherwise comes from the model's first reading, and in a file that is
    almost all Wake that reading calls quiet wake NREM and the scaling keeps the error (a
    simulated 2-h animal, 97 % Wake: 0.58; scaled by its first 5 min of true labels: 0.996).
    """
    if (labels is None or not cfg.mixture_shares or not isinstance(source, SpectralSource)
            or modality == "emg"):
        return None
    labels = np.asarray(labels).copy()
    if usable is not None:
        labels[:len(usable)][~usable[:len(labels)]] = -1
    shares = class_shares(loaded, cfg)
    labels[~np.isin(labels, list(shares))] = -1
    counts = np.bincount(labels[labels >= 0], minlength=max(shares) + 1)
    if counts.sum() < CALIBRATION_MIN or (counts >= CALIBRATION_STATE_MIN).sum() < 2:
        return None
    return mixture_reference(labels, shares)
