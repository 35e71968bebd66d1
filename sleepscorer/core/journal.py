"""Never lose work: every change to a hypnogram is appended at once to a journal file.

One journal per recording, in `user_data_dir("SleepScorer")/journals/<key>.jsonl`, where
the key hashes the recording's absolute path, size and modification time. Each line holds
the new state of the changed epochs (run-length encoded stages and sources, confidence),
so replaying the lines in order rebuilds the hypnogram after a crash. The journal is
cleared when the labels are saved or exported. Must not import Qt.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from platformdirs import user_data_dir

from sleepscorer.hypnogram import Edit, Hypnogram
from sleepscorer.stages import LABEL_DTYPE, runs

FORMAT = 1


def journal_dir() -> Path:
    return Path(user_data_dir("SleepScorer", appauthor=False)) / "journals"


def recording_key(path: str | Path) -> str:
    """Stable name for one recording file or folder: hash of absolute path, size, mtime."""
    path = Path(path).resolve()
    stat = path.stat()
    size = stat.st_size
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    text = f"{path}|{size}|{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _runs(values: np.ndarray) -> list[list[int]]:
    """[[count, value], ...] run-length encoding (the journal's line format)."""
    value, starts, stops = runs(values)
    return [[int(b - a), int(v)] for v, a, b in zip(value, starts, stops, strict=True)]


def _unruns(runs: list[list[int]]) -> np.ndarray:
    if not runs:
        return np.empty(0, np.int16)
    return np.repeat([v for _, v in runs], [c for c, _ in runs]).astype(np.int16)


@dataclass
class JournalEntry:
    start: int
    stages: np.ndarray
    sources: np.ndarray
    confidence: np.ndarray
    description: str
    time: float


class Journal:
    """Append-only record of one recording's edits; `replay` rebuilds them."""

    def __init__(self, recording_path: str | Path, n_epochs: int, epoch_length: float,
                 directory: str | Path | None = None, path: str | Path | None = None):
        self.recording_path = Path(recording_path)
        self.n_epochs = int(n_epochs)
        self.epoch_length = float(epoch_length)
        if path is not None:  # a persistent session keeps its journal in its own folder
            self.path = Path(path)
        else:
            folder = Path(directory) if directory is not None else journal_dir()
            self.path = folder / f"{recording_key(recording_path)}.jsonl"

    # -- writing ----------------------------------------------------------------------
    def _header(self) -> dict:
        return {"format": FORMAT, "recording": str(self.recording_path.resolve()),
                "n_epochs": self.n_epochs, "epoch_length": self.epoch_length,
                "created": time.time()}

    def record(self, hyp: Hypnogram, start: int, stop: int, description: str = "") -> None:
        """Append the current state of epochs [start, stop) and flush it to disk."""
        entry = {
            "start": int(start),
            "stages": _runs(hyp.stages[start:stop]),
            "sources": _runs(hyp.sources[start:stop]),
            "confidence": [None if np.isnan(c) else round(float(c), 4)
                           for c in hyp.confidence[start:stop]],
            "description": description,
            "time": time.time(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with self.path.open("a") as fh:
            if new:
                fh.write(json.dumps(self._header()) + "\n")
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def attach(self, hyp: Hypnogram):
        """Journal every later change of `hyp` (edits, undo and redo) as it happens.

        Returns the listener, so `hyp.remove_listener` can stop it."""
        def listener(start: int, stop: int) -> None:
            self.record(hyp, start, stop)

        hyp.add_listener(listener)
        return listener

    def clear(self) -> None:
        """Forget the journal (after the labels were saved)."""
        self.path.unlink(missing_ok=True)

    # -- reading ----------------------------------------------------------------------
    def entries(self) -> list[JournalEntry]:
        """Edits in the journal, oldest first; [] when none or when it is for another layout.

        A line cut short by a crash is ignored.
        """
        if not self.path.exists():
            return []
        lines = self.path.read_text().splitlines()
        try:
            header = json.loads(lines[0])
        except (IndexError, json.JSONDecodeError):
            return []
        if (header.get("n_epochs") != self.n_epochs
                or abs(float(header.get("epoch_length", 0)) - self.epoch_length) > 1e-9):
            return []
        out = []
        for line in lines[1:]:
            try:
                raw = json.loads(line)
            except json.JSONDecodeError:
                continue
            conf = np.array([np.nan if c is None else c for c in raw["confidence"]], np.float32)
            out.append(JournalEntry(int(raw["start"]), _unruns(raw["stages"]),
                                    _unruns(raw["sources"]), conf,
                                    raw.get("description", ""), float(raw.get("time", 0))))
        return out

    def replay(self, hyp: Hypnogram) -> Edit | None:
        """Apply every journalled change to `hyp` as one undoable edit."""
        entries = self.entries()
        if not entries:
            return None
        stages, sources = hyp.stages.copy(), hyp.sources.copy()
        confidence = hyp.confidence.copy()
        for e in entries:
            stop = min(len(hyp), e.start + len(e.stages))
            n = stop - e.start
            stages[e.start:stop] = e.stages[:n]
            sources[e.start:stop] = e.sources[:n]
            confidence[e.start:stop] = e.confidence[:n]
        return replace_all(hyp, stages, sources, confidence, "restore unsaved edits")


def replace_all(hyp: Hypnogram, stages: np.ndarray, sources: np.ndarray,
                confidence: np.ndarray, description: str) -> Edit | None:
    """Set every epoch's stage, source and confidence in one undoable edit.

    Only the span that actually differs becomes the edit, so undo stays cheap.
    """
    stages = np.asarray(stages, LABEL_DTYPE)
    sources = np.asarray(sources, np.int8)
    confidence = np.asarray(confidence, np.float32)
    differs = ((stages != hyp.stages) | (sources != hyp.sources)
               | ~((confidence == hyp.confidence)
                   | (np.isnan(confidence) & np.isnan(hyp.confidence))))
    changed = np.flatnonzero(differs)
    if len(changed) == 0:
        return None
    a, b = int(changed[0]), int(changed[-1]) + 1
    return hyp.replace(a, stages[a:b], sources[a:b], confidence[a:b], description)
