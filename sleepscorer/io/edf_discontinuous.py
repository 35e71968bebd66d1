"""EDF+D (discontinuous) files: each data record placed at its own onset, the gaps missing.

An EDF+D's data records need not follow one another: the first time-stamped annotation
(TAL) in each record's annotation signal says when that record starts. mne reads every EDF
as continuous, which stamps everything after a gap too early (and shifts per-hour
statistics); here the channels it read are spread onto the recording's real time line, the
gaps filled with 0 and marked `missing`, so the scorer's quality gate gives them no sleep
stage. Must not read signals itself (see `sleepscorer.io.edf`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import RawChannel


class RecordLayout(Protocol):
    """What placing records needs of an EDF header (`sleepscorer.io.edf._Layout` is one)."""

    header_bytes: int
    record_s: float
    n_samples: tuple[int, ...]
    sample_bytes: int

    def is_signal(self, i: int) -> bool: ...


DISCONTINUOUS = ("EDF+D", "BDF+D")  # the header's reserved field
MAX_SPAN_S = 7 * 24 * 3600.0  # a longer time line is a damaged time stamp, not a recording


def place_records(path: Path, layout: RecordLayout, channels: list[RawChannel],
                  notes: list[str]) -> list[RawChannel]:
    """`channels` as read (records back to back) moved to their records' onsets, with a note
    naming the gaps; unchanged when the records do follow one another."""
    annotations = [i for i in range(len(layout.n_samples)) if not layout.is_signal(i)]
    if not annotations:
        notes.append("the header says EDF+D (discontinuous) but the file has no annotation "
                     "signal to say when its records start; read as continuous")
        return channels
    per_record = [int(round(ch.rate * layout.record_s)) for ch in channels]
    records = len(channels[0].data) // per_record[0]
    onsets = _record_onsets(path, layout, annotations[0], records)
    gaps = onsets[1:] - onsets[:-1] - layout.record_s
    tolerance = 0.5 / max(ch.rate for ch in channels)  # half a sample of the fastest signal
    _check_time_line(path, onsets, gaps, tolerance, layout.record_s)
    breaks = np.flatnonzero(gaps > tolerance) + 1  # the first record of every later piece
    if len(breaks) == 0:
        return channels
    pieces = list(zip(np.r_[0, breaks], np.r_[breaks, records], strict=True))
    onsets = onsets - onsets[0]  # the first record starts the time line
    notes.append(_gap_note(onsets, gaps, breaks, layout.record_s))
    return [_spread(ch, per, pieces, onsets) for ch, per in zip(channels, per_record, strict=True)]


def _check_time_line(path: Path, onsets: np.ndarray, gaps: np.ndarray, tolerance: float,
                     record_s: float) -> None:
    """Records in order and not overlapping, and a time line short enough to fill: a
    damaged time stamp must not ask for days of samples."""
    if (gaps < -tolerance).any():
        k = int(np.flatnonzero(gaps < -tolerance)[0]) + 1
        raise RecordingError(path, f"EDF+D: data record {k + 1} starts at "
                                   f"{_seconds_text(onsets[k])} s, before record {k} ends "
                                   f"({_seconds_text(onsets[k - 1] + record_s)} s); its record "
                                   "time stamps are damaged; export it again")
    span_s = onsets[-1] - onsets[0] + record_s
    if span_s > MAX_SPAN_S:
        raise RecordingError(path, f"EDF+D: its records span {span_s / 86400:.3g} days with the "
                                   f"gaps; more than {MAX_SPAN_S / 86400:g} days cannot be read "
                                   "(a damaged record time stamp?); check the file or split it "
                                   "into shorter ones")


def _record_onsets(path: Path, layout: RecordLayout, signal: int, records: int) -> np.ndarray:
    """Each data record's onset in seconds: the first TAL of its annotation `signal`
    ('+300\\x14\\x14\\x00...', the record's time-keeping annotation)."""
    width = layout.sample_bytes
    offset = sum(layout.n_samples[:signal]) * width
    size = layout.n_samples[signal] * width
    table = np.memmap(path, dtype=np.uint8, mode="r", offset=layout.header_bytes,
                      shape=(records, sum(layout.n_samples) * width))
    block = np.asarray(table[:, offset:offset + size])
    onsets = np.empty(records)
    for k, row in enumerate(block):
        stamp = row.tobytes().lstrip(b"\x00").split(b"\x14", 1)[0].decode("latin-1")
        try:
            onsets[k] = float(stamp) if stamp[:1] in ("+", "-") else float("nan")
        except ValueError:
            onsets[k] = float("nan")
        if not np.isfinite(onsets[k]):
            raise RecordingError(path, f"EDF+D: data record {k + 1} carries no time stamp (its "
                                       f"annotations begin {stamp[:20]!r}); the file is damaged; "
                                       "export it again")
    return onsets


def _spread(ch: RawChannel, per_record: int, pieces: list[tuple[int, int]],
            onsets: np.ndarray) -> RawChannel:
    """One channel on the real time line: each piece of back-to-back records at its first
    record's onset; between pieces 0, marked missing."""
    last_start = int(round(onsets[pieces[-1][0]] * ch.rate))
    n = last_start + (pieces[-1][1] - pieces[-1][0]) * per_record
    data = np.zeros(n, dtype=np.float32)
    missing = np.ones(n, dtype=bool)
    for a, b in pieces:
        at = int(round(onsets[a] * ch.rate))
        data[at:at + (b - a) * per_record] = ch.data[a * per_record:b * per_record]
        missing[at:at + (b - a) * per_record] = False
    return RawChannel(ch.name, ch.kind, data, ch.rate, ch.unit, missing)


def _gap_note(onsets: np.ndarray, gaps: np.ndarray, breaks: np.ndarray, record_s: float) -> str:
    """'EDF+D (discontinuous) in 2 pieces; 100 s of gap from 300 s are marked missing': where
    the time line has holes, so a reviewer can find them (the CLI and the GUI's warnings
    panel put the file's name before it, as before every reader note)."""
    lengths = gaps[breaks - 1]
    first = onsets[breaks[0] - 1] + record_s
    where = f"from {_seconds_text(first)} s"
    if len(breaks) > 1:
        where = f"in {len(breaks)} gaps, the first {_seconds_text(lengths[0])} s {where},"
    return (f"EDF+D (discontinuous) in {len(breaks) + 1} pieces; "
            f"{_seconds_text(lengths.sum())} s of gap {where} are marked missing")


def _seconds_text(seconds: float) -> str:
    """Seconds as written in a note: to the millisecond, never in exponent form."""
    return f"{round(float(seconds), 3):.10g}"
