"""Signal-quality gating: epochs whose signal cannot be scored are found before the model.

A flat (disconnected) or rail-clipped electrode carries no sleep information, but a model
still returns a confident-looking label for it (the MiSleep EDF after 30 s was scored 97 %
Wake at 0.7). So each 1-s epoch of every channel in use is checked on its own samples:
- flat: its standard deviation is below 2 % (EEG) or 0.5 % (EMG) of the recording's typical
  (98th percentile of the standard deviations of its unclipped epochs, so a mostly flat file
  still has a reference and rail-hitting artefacts do not set it)
  or exactly 0, or it lies in a stretch of 5 s or more at the amplifier's noise floor
  (`sleepscorer.io.assemble.flat_windows`, the reader's own test). The EMG's bound is lower
  because REM atonia is real signal: simulated REM of another generator sat at 1-2 % of its
  Wake bursts and was read as a lost electrode, which sent that REM to the EEG alone;
- clipped: at least 5 % of its samples sit on the channel's minimum or maximum while that
  value is a rail (hit by at least 0.1 % of all samples).
Numpy only; reads the native samples chunk by chunk, never a full float64 copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sleepscorer.io.assemble import flat_windows
from sleepscorer.io.recording import Channel, ChannelKind
from sleepscorer.stages import mask_runs

FLAT_FRACTION = 0.02
EMG_FLAT_FRACTION = 0.005  # atonia is far quieter than the EMG's bursts, yet still signal
CLIP_FRACTION = 0.05
RAIL_FRACTION = 0.001
MIN_FLOOR_S = 5  # noise-floor stretches shorter than this are quiet EEG, not a lost electrode
REPORT_GAP_S = 10  # one channel's bad spans closer than this are reported as one stretch


@dataclass(frozen=True)
class QualitySpan:
    channel: str  # "EEG" or "EMG" (the role), with the channel name in `name`
    name: str
    reason: str  # "flat" or "clipped"
    start: int  # first 1-s epoch
    stop: int  # one past the last

    def describe(self) -> str:
        what = {"flat": "flat (disconnected electrode?)",
                "clipped": "clipped at the amplifier's range"}[self.reason]
        return f"{self.channel} {self.name} {what} from {self.start} s to {self.stop} s"


@dataclass(frozen=True)
class QualityStretch:
    """Bad spans of one channel, for one reason, with gaps under REPORT_GAP_S: one warning
    line for a failing electrode, not one per second it recovers."""

    first: QualitySpan
    stop: int  # one past the last bad epoch
    bad_s: int  # epochs actually bad in [first.start, stop)
    pieces: int

    def describe(self) -> str:
        line = QualitySpan(self.first.channel, self.first.name, self.first.reason,
                           self.first.start, self.stop).describe()
        if self.pieces == 1:
            return line
        return f"{line} ({self.bad_s} s of it, in {self.pieces} pieces)"


def stretches(spans: list[QualitySpan], gap: int = REPORT_GAP_S) -> list[QualityStretch]:
    """`spans` merged per channel and reason where less than `gap` epochs apart, in order
    of their first epoch."""
    out: list[QualityStretch] = []
    open_: dict[tuple[str, str], int] = {}  # (channel, reason) -> index in out
    for span in sorted(spans, key=lambda s: (s.start, s.channel)):
        key = (span.channel, span.reason)
        i = open_.get(key)
        if i is not None and span.start - out[i].stop < gap:
            last = out[i]
            out[i] = QualityStretch(last.first, span.stop, last.bad_s + span.stop - span.start,
                                    last.pieces + 1)
        else:
            open_[key] = len(out)
            out.append(QualityStretch(span, span.stop, span.stop - span.start, 1))
    return out


def _epoch_stats(ch: Channel, n: int, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Per-epoch standard deviation and fraction of samples on the channel's extremes."""
    rate = ch.rate
    data = ch.data
    lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
    span = hi - lo
    tol = span * 1e-4
    std = np.zeros(n)
    at_rail = np.zeros(n)
    hits = 0
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        bounds = np.floor(np.arange(a, b + 1) * rate).astype(np.int64)
        seg = np.asarray(data[bounds[0]:bounds[-1]], dtype=np.float64)
        rail = (seg <= lo + tol) | (seg >= hi - tol) if span > 0 else np.ones(len(seg), bool)
        hits += int(rail.sum())
        if float(rate).is_integer():  # equal epochs: one reshape
            r = int(rate)
            std[a:b] = seg.reshape(b - a, r).std(1)
            at_rail[a:b] = rail.reshape(b - a, r).mean(1)
            continue
        rel = bounds - bounds[0]
        for i in range(b - a):  # epochs may differ by a sample at non-integer rates
            x = seg[rel[i]:rel[i + 1]]
            std[a + i] = x.std() if len(x) else 0.0
            at_rail[a + i] = rail[rel[i]:rel[i + 1]].mean() if len(x) else 0.0
    total = max(1, int(np.floor(n * rate)))
    return std, at_rail, hits / total, span


def bad_epochs(ch: Channel, n: int) -> dict[str, np.ndarray]:
    """{"flat": mask, "clipped": mask} over the first n 1-s epochs of one channel."""
    std, at_rail, rail_share, span = _epoch_stats(ch, n)
    clipped = (at_rail >= CLIP_FRACTION) & (rail_share >= RAIL_FRACTION) & (span > 0)
    # the typical level leaves clipped epochs out: in a file whose artefacts hit the rails in
    # more than 2 % of its seconds, they set the 98th percentile and living signal read as flat
    living = std[~clipped] if (~clipped).any() else std
    reference = float(np.percentile(living, 98)) if n else 0.0
    fraction = EMG_FLAT_FRACTION if ch.kind is ChannelKind.EMG else FLAT_FRACTION
    flat = (std <= fraction * reference) | (std == 0)
    floor = np.zeros(n, dtype=bool)  # at the amplifier's noise floor, as the reader warns
    found = flat_windows(ch)[:n]
    floor[:len(found)] = found
    for a, b in mask_runs(floor):
        if b - a >= MIN_FLOOR_S:
            flat[a:b] = True
    return {"flat": flat, "clipped": clipped & ~flat}


def check_channels(channels: dict[str, Channel], n: int) -> tuple[dict[str, np.ndarray], list[QualitySpan]]:
    """Per role ("EEG", "EMG"): a mask of unusable epochs, and every bad span found."""
    masks, spans = {}, []
    for role, ch in channels.items():
        found = bad_epochs(ch, n)
        masks[role] = found["flat"] | found["clipped"]
        for reason, mask in found.items():
            spans += [QualitySpan(role, ch.name, reason, a, b) for a, b in mask_runs(mask)]
    spans.sort(key=lambda s: (s.start, s.channel))
    return masks, spans


def epoch_notes(spans: list[QualitySpan], n_epochs: int, epoch_length: float = 1.0,
                modality: str = "both") -> list[str]:
    """Per output epoch, why the signal decided it ("" where nothing is wrong): the CSV's
    `note` column, so a reader of the file sees which epochs came from a bad electrode."""
    found: list[dict[str, str]] = [{} for _ in range(n_epochs)]
    for span in spans:
        first = int(span.start // epoch_length)
        last = min(n_epochs, int(-(-span.stop // epoch_length)))
        for k in range(first, last):
            found[k].setdefault(span.channel, span.reason)
    scored_from = "EMG" if modality == "emg" else "EEG"
    notes = []
    for bad in found:
        parts = [f"{role} {reason}" for role, reason in sorted(bad.items())]
        if not parts:
            notes.append("")
        elif scored_from in bad:
            notes.append("; ".join(parts) + ": Artifact")
        else:
            notes.append("; ".join(parts) + (": scored from EEG alone" if modality == "both" else ""))
    return notes
