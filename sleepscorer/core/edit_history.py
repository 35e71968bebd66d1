"""The undo/redo history of one persistent session, kept on disk: Ctrl+Z after a reopen or a
crash undoes the last edits of the session before, as in a document editor.

`history.jsonl` in the session folder (core/session_store.py): a header line (format,
recording fingerprint, epoch layout), then one line per step, appended and fsynced as it
happens, like the journal: `do` (the edit: first epoch, old and new stages, sources and
confidences, description), `undo` or `redo`, each with a short hash of the labels after it.
Arrays are zlib-compressed little-endian bytes in base64: exact, compact, no pickle. When
the session is saved, and when the history itself changed (a first scoring taken out of
it), the file is replaced atomically by the last `STEPS` undo steps and as many redo steps,
at most `EPOCHS` epochs in all.

Reading replays the steps against the labels restored from the snapshot and journal: the
last step's hash must be theirs, and walking the kept edits back from them must meet each
edit's "after" state. A history that does not fit (another recording or layout, a damaged
file, labels changed outside the app) is dropped with a note, never the labels. Stages and
sources are checked; confidence is not (the journal keeps it to 4 decimals).
Must not import Qt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import zlib
from pathlib import Path

import numpy as np

from sleepscorer.core.session_files import write_atomic
from sleepscorer.hypnogram import Edit, Hypnogram
from sleepscorer.stages import LABEL_DTYPE

FORMAT = 1
STEPS = 200  # undo steps kept (and as many redo steps)
EPOCHS = 2_000_000  # epochs kept over all steps: ~23 whole-recording edits of 24 h at 1 s
ARRAYS = (("stages", "<i1", LABEL_DTYPE), ("sources", "<i1", np.int8),
          ("confidence", "<f4", np.float32))  # (Edit field, on disk, in memory)

log = logging.getLogger(__name__)


class HistoryMismatch(ValueError):
    """The kept history does not belong to the labels it would undo."""


def labels_hash(hyp: Hypnogram) -> str:
    """Which stage and source every epoch has, as 16 hex digits."""
    digest = hashlib.blake2b(hyp.stages.tobytes(), digest_size=8)
    digest.update(hyp.sources.tobytes())
    return digest.hexdigest()


def _pack(values: np.ndarray, dtype: str) -> str:
    raw = np.ascontiguousarray(values, dtype).tobytes()
    return base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


def _unpack(text: str, dtype: str, n: int, to) -> np.ndarray:
    values = np.frombuffer(zlib.decompress(base64.b64decode(text, validate=True)), dtype)
    if len(values) != n:
        raise ValueError(f"{len(values)} values where the edit has {n}")
    return values.astype(to)


def edit_line(edit: Edit) -> dict:
    line = {"step": "do", "start": int(edit.start), "n": len(edit.new_stages),
            "description": edit.description}
    for name, disk, _ in ARRAYS:
        line[name] = [_pack(getattr(edit, f"old_{name}"), disk),
                      _pack(getattr(edit, f"new_{name}"), disk)]
    return line


def edit_from(line: dict, n_epochs: int) -> Edit:
    start, n = int(line["start"]), int(line["n"])
    if start < 0 or n < 1 or start + n > n_epochs:
        raise ValueError(f"epochs {start}-{start + n - 1} are outside the recording")
    arrays = {}
    for name, disk, memory in ARRAYS:
        old, new = line[name]
        arrays[f"old_{name}"] = _unpack(old, disk, n, memory)
        arrays[f"new_{name}"] = _unpack(new, disk, n, memory)
    return Edit(start, description=str(line.get("description", "")), **arrays)


def bounded(undo: list[Edit], redo: list[Edit]) -> tuple[list[Edit], list[Edit]]:
    """The steps nearest the present: `STEPS` of each kind, `EPOCHS` epochs in all."""
    undo, redo = undo[-STEPS:], redo[-STEPS:]
    total = sum(len(e.new_stages) for e in undo + redo)
    while total > EPOCHS:  # drop the farthest step of the longer side
        farthest = (undo if len(undo) >= len(redo) else redo).pop(0)
        total -= len(farthest.new_stages)
    return undo, redo


def fits(hyp: Hypnogram, undo: list[Edit], redo: list[Edit]) -> bool:
    """Walking back from the labels, each undo step meets its "after" state; walking forward,
    each redo step its "before" state."""
    def walk(steps, forward: bool) -> bool:
        stages, sources = hyp.stages.copy(), hyp.sources.copy()
        for e in steps:
            before, after = (e.old_stages, e.old_sources), (e.new_stages, e.new_sources)
            now, then = (before, after) if forward else (after, before)
            sl = slice(e.start, e.stop)
            if not (np.array_equal(stages[sl], now[0]) and np.array_equal(sources[sl], now[1])):
                return False
            stages[sl], sources[sl] = then
        return True

    return walk(reversed(undo), forward=False) and walk(reversed(redo), forward=True)


class EditHistory:
    """One session's `history.jsonl`: `attach` records every step, `load` puts it back."""

    def __init__(self, path: str | Path, fingerprint: str):
        self.path = Path(path)
        self.fingerprint = fingerprint
        self._hyp: Hypnogram | None = None
        self.appended = 0  # steps appended since the file was last rewritten

    @property
    def dropped_path(self) -> Path:
        return self.path.with_name("history-dropped.jsonl")

    def _header(self, hyp: Hypnogram) -> dict:
        return {"format": FORMAT, "fingerprint": self.fingerprint, "n_epochs": len(hyp),
                "epoch_length": hyp.epoch_length}

    # -- writing ----------------------------------------------------------------------
    def attach(self, hyp: Hypnogram) -> None:
        self.detach()
        self._hyp = hyp
        hyp.add_history_listener(self._step)

    def detach(self) -> None:
        if self._hyp is not None:
            try:
                self._hyp.remove_history_listener(self._step)
            except ValueError:  # not attached
                pass
        self._hyp = None

    def _step(self, step: str, edit: Edit | None) -> None:
        """Never fails the edit: a step not written leaves a history that no longer fits
        (dropped at the next opening) until the next save rewrites it whole."""
        try:
            if step == "reset" or not self.path.exists():  # the file starts whole
                self.rewrite()
                return
            line = edit_line(edit) if step == "do" else {"step": step}
            line["labels"] = labels_hash(self._hyp)
            with self.path.open("a") as fh:
                fh.write(json.dumps(line) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            log.warning("%s: undo history not written (%s)", self.path, exc)
        self.appended += 1

    def rewrite(self) -> None:
        """Replace the file atomically by the bounded history as it is now."""
        hyp = self._hyp
        if hyp is None:
            return
        undo, redo = bounded(*hyp.history())
        lines = [self._header(hyp), *map(edit_line, undo), *map(edit_line, reversed(redo)),
                 *({"step": "undo"} for _ in redo)]
        if len(lines) > 1:
            lines[-1]["labels"] = labels_hash(hyp)
        text = "".join(json.dumps(line) + "\n" for line in lines)
        write_atomic(self.path, lambda fh: fh.write(text.encode()))
        self.appended = 0

    def compact(self) -> None:
        """Rewrite when steps were appended since the last rewrite (the session is saved)."""
        if self.appended or not self.path.exists():
            self.rewrite()

    # -- reading ----------------------------------------------------------------------
    def load(self, hyp: Hypnogram) -> str | None:
        """Give `hyp`, whose labels are already restored, its kept history. Returns a note
        for the user when the history was dropped (the file is kept as history-dropped)."""
        if not self.path.exists():
            return None
        try:
            undo, redo = self._replay(hyp)
        except HistoryMismatch as exc:
            reason = str(exc)
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError,
                zlib.error, binascii.Error) as exc:
            reason = f"its file is damaged ({type(exc).__name__})"
        else:
            hyp.set_history(undo, redo)
            return None
        try:
            os.replace(self.path, self.dropped_path)
        except OSError:
            pass
        self.appended += 1  # the next save writes a fresh file
        note = (f"the undo history of the saved session was dropped: {reason}; the labels "
                f"are kept, only the edits before this opening cannot be undone "
                f"(the history is kept as {self.dropped_path.name})")
        log.warning("%s: %s", self.path.parent, note)
        return note

    def _replay(self, hyp: Hypnogram) -> tuple[list[Edit], list[Edit]]:
        lines = self.path.read_text().splitlines()
        header = json.loads(lines[0])
        if header != self._header(hyp):
            raise HistoryMismatch("it was kept for another recording or epoch layout")
        undo: list[Edit] = []
        redo: list[Edit] = []
        labels = None
        for i, text in enumerate(lines[1:], start=2):
            try:
                line = json.loads(text)
            except json.JSONDecodeError:
                if i == len(lines):  # the last line, cut short by a crash
                    break
                raise
            step = line["step"]
            if step == "do":
                undo.append(edit_from(line, len(hyp)))
                redo.clear()
            elif step in ("undo", "redo"):
                source, target = (undo, redo) if step == "undo" else (redo, undo)
                if not source:
                    raise ValueError(f"line {i}: {step} with nothing to {step}")
                target.append(source.pop())
            else:
                raise ValueError(f"line {i}: unknown step {step!r}")
            labels = line.get("labels", labels)
        if labels is not None and labels != labels_hash(hyp):
            raise HistoryMismatch("it does not end at the saved labels (changed outside the "
                                  "app, or the app stopped between two writes)")
        undo, redo = bounded(undo, redo)
        if not fits(hyp, undo, redo):
            raise HistoryMismatch("its edits do not match the saved labels")
        return undo, redo
