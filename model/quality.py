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
  value is a rail (hit by at least 0.1 % of all samples);
- missing: at least half of its samples were not in the file (NaN/inf, an EDF+D gap;
  `Channel.missing`), which the reader set to 0: the rest is too little to score, and the
  zeros are no electrode's fault, so such an epoch is neither flat nor clipped.
What was found becomes the label CSV's `note` column through `note_column`, for
`sleepscorer score` and the app's export alike.
Numpy only; reads the native samples chunk by chunk, never a full float64 copy.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.assemble import flat_windows, missing_epochs
from sleepscorer.io.recording import Channel, ChannelKind
from sleepscorer.stages import Stage, mask_runs

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
    reason: str  # "flat", "clipped" or "missing"
    start: int  # first 1-s epoch
    stop: int  # one past the last
    # where the missing samples themselves begin and end, in seconds: they rarely fall on
    # epoch edges, and a reviewer looks for the hole in the file, not for its epochs
    seconds: tuple[float, float] | None = None

    def describe(self) -> str:
        what = {"flat": "flat (disconnected electrode?)", "missing": "missing (NaN)",
                "clipped": "clipped at the amplifier's range"}[self.reason]
        start, stop = self.seconds or (self.start, self.stop)
        return (f"{self.channel} {self.name} {what} from {round(start, 2):.10g} s to "
                f"{round(stop, 2):.10g} s")


@dataclass(frozen=True)
class QualityStretch:
    """Bad spans of one channel, for one reason, with gaps under REPORT_GAP_S: one warning
    line for a failing electrode, not one per second it recovers."""

    first: QualitySpan
    last: QualitySpan
    bad_s: int  # epochs actually bad in [first.start, stop)
    pieces: int

    @property
    def stop(self) -> int:
        """One past the last bad epoch."""
        return self.last.stop

    def describe(self) -> str:
        seconds = self.first.seconds and self.last.seconds and (self.first.seconds[0],
                                                                self.last.seconds[1])
        line = replace(self.first, stop=self.stop, seconds=seconds).describe()
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
            out[i] = QualityStretch(last.first, span, last.bad_s + span.stop - span.start,
                                    last.pieces + 1)
        else:
            open_[key] = len(out)
            out.append(QualityStretch(span, span, span.stop - span.start, 1))
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
    """{"missing": mask, "flat": mask, "clipped": mask} over the first n 1-s epochs of one
    channel; an epoch has at most one reason, the first of these."""
    missing = missing_epochs(ch, n)
    std, at_rail, rail_share, span = _epoch_stats(ch, n)
    clipped = (at_rail >= CLIP_FRACTION) & (rail_share >= RAIL_FRACTION) & (span > 0) & ~missing
    # the typical level leaves clipped epochs out: in a file whose artefacts hit the rails in
    # more than 2 % of its seconds, they set the 98th percentile and living signal read as flat
    living = std[~clipped & ~missing] if (~clipped & ~missing).any() else std
    reference = float(np.percentile(living, 98)) if n else 0.0
    fraction = EMG_FLAT_FRACTION if ch.kind is ChannelKind.EMG else FLAT_FRACTION
    flat = (std <= fraction * reference) | (std == 0)
    floor = np.zeros(n, dtype=bool)  # at the amplifier's noise floor, as the reader warns
    found = flat_windows(ch)[:n]
    floor[:len(found)] = found
    for a, b in mask_runs(floor):
        if b - a >= MIN_FLOOR_S:
            flat[a:b] = True
    flat &= ~missing
    return {"missing": missing, "flat": flat, "clipped": clipped & ~flat}


def _missing_seconds(ch: Channel, a: int, b: int) -> tuple[float, float]:
    """Where the missing samples behind bad epochs [a, b) begin and end: the hole may start
    or end inside a neighbouring epoch, which holds less than half of it (so look one epoch
    further on either side, no more)."""
    lo = int(np.floor(max(a - 1, 0) * ch.rate))
    hi = min(len(ch.missing), int(np.floor((b + 1) * ch.rate)))
    core_lo, core_hi = int(np.floor(a * ch.rate)), int(np.floor(b * ch.rate))
    inside = np.flatnonzero(ch.missing[core_lo:core_hi])
    first, last = core_lo + int(inside[0]), core_lo + int(inside[-1]) + 1
    present_before = np.flatnonzero(~ch.missing[lo:first])
    present_after = np.flatnonzero(~ch.missing[last:hi])
    first = lo + int(present_before[-1]) + 1 if len(present_before) else lo
    last = last + int(present_after[0]) if len(present_after) else hi
    return first / ch.rate, last / ch.rate


def check_channels(channels: dict[str, Channel], n: int) -> tuple[dict[str, np.ndarray], list[QualitySpan]]:
    """Per role ("EEG", "EMG"): a mask of unusable epochs, and every bad span found."""
    masks, spans = {}, []
    for role, ch in channels.items():
        found = bad_epochs(ch, n)
        masks[role] = np.logical_or.reduce(list(found.values()))
        for reason, mask in found.items():
            spans += [QualitySpan(role, ch.name, reason, a, b,
                                  _missing_seconds(ch, a, b) if reason == "missing" else None)
                      for a, b in mask_runs(mask)]
    spans.sort(key=lambda s: (s.start, s.channel))
    return masks, spans


def epoch_notes(spans: list[QualitySpan], n_epochs: int, epoch_length: float = 1.0,
                modality: str = "both", person: np.ndarray | None = None,
                labels: np.ndarray | None = None) -> list[str]:
    """Per output epoch, why the signal decided it ("" where nothing is wrong): the CSV's
    `note` column, so a reader of the file sees which epochs came from a bad electrode.
    Where `person` (a mask) holds, a person set the label: the note names the signal's
    problem without the model's verdict ("EEG flat", not "EEG flat: Artifact"), as it does
    where `labels` (the stages written) say the window is not Artifact: a 2-s window with one
    flat second takes its label from the sound one."""
    found: list[dict[str, str]] = [{} for _ in range(n_epochs)]
    for span in spans:
        first = int(span.start // epoch_length)
        last = min(n_epochs, int(-(-span.stop // epoch_length)))
        for k in range(first, last):
            found[k].setdefault(span.channel, span.reason)
    return _written(found, modality, person, labels)


def _written(found: list[dict[str, str]], modality: str, person: np.ndarray | None,
             labels: np.ndarray | None = None) -> list[str]:
    """The note of each epoch from what is wrong in it ({role: reason}), with the model's
    verdict where the model decided the label (Artifact only where the label is)."""
    scored_from = "EMG" if modality == "emg" else "EEG"
    notes = []
    for k, bad in enumerate(found):
        parts = [f"{role} {reason}" for role, reason in sorted(bad.items())]
        if not parts:
            notes.append("")
        elif person is not None and person[k]:
            notes.append("; ".join(parts))
        elif scored_from in bad and labels is not None and labels[k] != Stage.ARTIFACT:
            notes.append("; ".join(parts))
        elif scored_from in bad:
            notes.append("; ".join(parts) + ": Artifact")
        else:
            notes.append("; ".join(parts) + (": scored from EEG alone" if modality == "both" else ""))
    return notes


def signal_record(spans: list[QualitySpan], modality: str) -> dict:
    """What a scoring found wrong with the signal, as plain JSON values: the app keeps it with
    the recording's session, so an export after a reopen still writes the note column."""
    return {"modality": modality,
            "spans": [[s.channel, s.reason, int(s.start), int(s.stop)] for s in spans]}


def note_column(signal: dict | None, hyp: Hypnogram) -> list[str] | None:
    """The label CSV's `note` column for `hyp`, at the epoch length it is written at (see
    `epoch_notes`; a person's labels are `hyp`'s), or None, for no column, where the scoring
    (`signal`: its `signal_record`) found nothing wrong. `sleepscorer score` and the app's
    export both write it from here, so their files agree.

    Why: the app's export wrote no note column where the CLI named every flat epoch."""
    rows = (signal or {}).get("spans") or []
    if not rows:
        return None
    spans = [QualitySpan(channel, "", reason, start, stop) for channel, reason, start, stop in rows]
    return epoch_notes(spans, len(hyp), hyp.epoch_length, signal.get("modality", "both"),
                       hyp.is_person_labelled(), hyp.stages)


_PROBLEM = re.compile(r"(EEG|EMG) (flat|clipped|missing)")
_VERDICTS = ("Artifact", "scored from EEG alone")


def _read_note(note: str) -> tuple[dict[str, str], str | None] | None:
    """('EEG flat; EMG flat: Artifact') -> ({'EEG': 'flat', 'EMG': 'flat'}, 'Artifact');
    None for a note this module did not write (a person's own words)."""
    problems, _, verdict = note.partition(": ")
    parts = [_PROBLEM.fullmatch(p) for p in problems.split("; ")]
    if not all(parts) or (verdict and verdict not in _VERDICTS):
        return None
    return {m.group(1): m.group(2) for m in parts}, verdict or None


def carry_notes(notes: list[str], file_epoch_length: float, hyp: Hypnogram) -> list[str]:
    """The `note` column of a label CSV (`notes`, one per epoch of `file_epoch_length`)
    rewritten as `hyp`, the same labels at `hyp.epoch_length` (`sleepscorer convert-labels`).

    One to one (the same epoch length), every note is kept as written, "" for a padded epoch.
    At another length, an output epoch holds the problems of every input epoch it overlaps,
    and its verdict follows its own label by `epoch_notes`' rule, so a 1-s scored file
    converted to 4 s gets the notes `score --epoch-length 4` writes: a window that a person
    decided names the problem alone ("EEG flat"), one the model decided says what the model
    did ("EEG flat: Artifact"); the input's verdicts are not copied onto a window whose label
    they may not describe. Notes this module did not write (a person's words) cannot be
    re-derived: then an output epoch gets the distinct notes of the input epochs it overlaps,
    in time order, joined by "; ", word for word.

    Why: convert-labels dropped the column, so the converted file no longer said which
    epochs came from a flat or clipped electrode."""
    n = len(hyp)
    if math.isclose(file_epoch_length, hyp.epoch_length):
        return [*notes[:n], *[""] * (n - len(notes))]
    ratio = file_epoch_length / hyp.epoch_length
    covers = [range(int(i * ratio + 1e-9), min(n, math.ceil((i + 1) * ratio - 1e-9)))
              for i in range(len(notes))]
    read = [_read_note(note) if note else ({}, None) for note in notes]
    if any(r is None for r in read):
        joined: list[list[str]] = [[] for _ in range(n)]
        for note, epochs in zip(notes, covers, strict=True):
            for k in epochs if note else ():
                if note not in joined[k]:
                    joined[k].append(note)
        return ["; ".join(j) for j in joined]
    found: list[dict[str, str]] = [{} for _ in range(n)]
    for (problems, _), epochs in zip(read, covers, strict=True):
        for k in epochs:
            for role in sorted(problems):
                found[k].setdefault(role, problems[role])
    # an EMG-only scoring is the one whose verdict falls on an EMG problem alone
    emg = any(v == "Artifact" and "EEG" not in p for p, v in read)
    return _written(found, "emg" if emg else "both", hyp.is_person_labelled(), hyp.stages)
