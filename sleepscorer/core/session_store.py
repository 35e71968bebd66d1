"""The app's own record of an expert's work: one persistent scoring session per recording.

A session holds every epoch's stage, its provenance (model, expert, imported; which model
by name and file hash), the model's confidences and probabilities, and the epoch layout.
It lives in `user_data_dir("SleepScorer")/sessions/<key>/`, never beside the input, where
`key` hashes a cheap fingerprint of the recording's *content* (sizes and a few sampled
blocks of every file), so a renamed or moved copy finds its session and a changed file
does not silently get an old one.

Files in a session folder:
- `snapshot.npz` and `session.json`: the whole state, each replaced atomically
  (temporary file, fsync, rename), written after scoring, on export and close, and a
  moment after edits stop;
- `journal.jsonl`: every edit appended and fsynced at once (core/journal.py), so a killed
  app loses at most the edit in flight. Opening replays the journal over the snapshot;
  entries hold absolute epoch states, so replaying entries older than the snapshot is
  harmless, and the journal is only emptied after a snapshot is on disk;
- `history.jsonl`: the undo/redo history (core/edit_history.py), appended at every step and
  compacted with the snapshot, so Ctrl+Z after a reopen or a crash undoes the last edits.

Exports are copies for others: they are listed in `session.json` and change nothing here.
When the file at a known path now has other content, its old session is moved to
`sessions/aside/` and the caller is told; it is never applied to the new content.
Must not import Qt.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from platformdirs import user_data_dir

from sleepscorer.core.edit_history import EditHistory
from sleepscorer.core.journal import Journal
from sleepscorer.core.session_files import (
    FORMAT,
    read_json,
    recording_fingerprint,
    session_key,
    write_atomic,
    write_json,
)
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import LABEL_DTYPE, Stage, epochs_text

NEVER_EXPORTED = "never exported"


def person_labels_sha256(hypnogram: Hypnogram) -> str:
    """Which epochs a person labelled and as what, as one hash (model labels and confidence
    left out): what "changed since the last export" compares."""
    person = hypnogram.is_person_labelled()
    digest = hashlib.sha256(np.packbits(person).tobytes())
    digest.update(np.where(person, hypnogram.stages, -1).astype(np.int8).tobytes())
    return digest.hexdigest()


def sessions_dir() -> Path:
    return Path(user_data_dir("SleepScorer", appauthor=False)) / "sessions"


def provenance_counts(hyp: Hypnogram) -> dict[str, int]:
    """Epochs by provenance: the model's, a person's agreeing with the model (confirmed),
    a person's differing from it (corrected), imported, and unscored."""
    from sleepscorer.hypnogram import Source

    expert = hyp.sources == Source.EXPERT
    agrees = np.zeros(len(hyp), bool)
    if hyp.probabilities is not None and len(hyp.classes) and len(hyp.probabilities) == len(hyp):
        known = ~np.isnan(hyp.probabilities).any(axis=1)
        codes = np.asarray([int(c) for c in hyp.classes])
        predicted = codes[np.argmax(np.nan_to_num(hyp.probabilities, nan=-1.0), axis=1)]
        agrees = known & (predicted == hyp.stages)
    return {"model_epochs": int((hyp.sources == Source.MODEL).sum()),
            "confirmed_epochs": int((expert & agrees).sum()),
            "corrected_epochs": int((expert & ~agrees).sum()),
            "imported_epochs": int((hyp.sources == Source.IMPORTED).sum()),
            "unscored_epochs": int((hyp.stages == Stage.UNSCORED).sum())}


# -- the session ------------------------------------------------------------------------
@dataclass
class OpenResult:
    """What `SessionStore.open` found for a recording."""

    session: PersistentSession
    restored: bool  # a saved session was loaded into the hypnogram
    epoch_length: float  # the layout of the hypnogram (the saved one when restored)
    notes: list[str] = field(default_factory=list)  # things to tell the user
    aside: Path | None = None  # where an outdated session was moved


class PersistentSession:
    """One recording's saved session folder; `attach` keeps it up to date."""

    def __init__(self, folder: Path, recording_path: Path, fingerprint: str):
        self.folder = Path(folder)
        self.recording_path = Path(recording_path)
        self.fingerprint = fingerprint
        self.meta: dict = read_json(self.meta_path) or {}
        self.journal: Journal | None = None
        self.history = EditHistory(self.folder / "history.jsonl", fingerprint)
        self._hyp: Hypnogram | None = None
        self._listener = None
        self.pending = False  # edits journalled but not yet in the snapshot

    @property
    def meta_path(self) -> Path:
        return self.folder / "session.json"

    @property
    def snapshot_path(self) -> Path:
        return self.folder / "snapshot.npz"

    @property
    def journal_path(self) -> Path:
        return self.folder / "journal.jsonl"

    def exists(self) -> bool:
        return self.snapshot_path.exists() or self.journal_path.exists()

    # -- reading ----------------------------------------------------------------------
    def saved_layout(self) -> tuple[int, float] | None:
        """(n_epochs, epoch_length) of the saved session, or None when there is none."""
        if "n_epochs" in self.meta and "epoch_length" in self.meta:
            return int(self.meta["n_epochs"]), float(self.meta["epoch_length"])
        return None

    def load_into(self, hyp: Hypnogram) -> bool:
        """Put the saved state (snapshot, then the journal after it) into a fresh `hyp`.

        Not undoable: this is the state the user left, not an edit. True when anything
        was restored."""
        restored = False
        self.problems: list[str] = []
        if self.snapshot_path.exists():
            try:
                with np.load(self.snapshot_path) as z:
                    stages, sources = z["stages"], z["sources"]
                    confidence = z["confidence"]
                    probabilities = z["probabilities"] if "probabilities" in z else None
                    classes = z["classes"] if "classes" in z else None
            except Exception as exc:  # noqa: BLE001 - a damaged file (BadZipFile, ...)
                stages = None
                kept = self.snapshot_path.with_name(f"snapshot-unreadable-{int(time.time())}.npz")
                os.replace(self.snapshot_path, kept)
                self.problems.append(f"the saved snapshot could not be read ({type(exc).__name__})"
                                     f"; kept as {kept.name}; the edits journalled since are "
                                     "restored")
            if stages is not None and len(stages) == len(hyp):
                hyp.stages[:] = stages.astype(LABEL_DTYPE)
                hyp.sources[:] = sources.astype(np.int8)
                hyp.confidence[:] = confidence.astype(np.float32)
                if probabilities is not None and probabilities.ndim == 2 and len(probabilities):
                    hyp.probabilities = probabilities.astype(np.float32)
                    hyp.classes = tuple(Stage(int(c)) for c in classes)
                restored = True
        journal = Journal(self.recording_path, len(hyp), hyp.epoch_length,
                          path=self.journal_path)
        if journal.entries():
            listeners, hyp._listeners = hyp._listeners, []  # quiet, and not undoable
            journal.replay(hyp)
            hyp.set_history([])
            hyp._listeners = listeners
            restored = True
            self.pending = True
        self.problems += filter(None, [self.history.load(hyp)])  # or a note: dropped
        return restored

    # -- writing ----------------------------------------------------------------------
    def attach(self, hyp: Hypnogram) -> None:
        """Journal every change of `hyp` at once; `save` writes the whole state."""
        self.detach()
        self._hyp = hyp
        self.journal = Journal(self.recording_path, len(hyp), hyp.epoch_length,
                               path=self.journal_path)
        journal_listener = self.journal.attach(hyp)

        def listener(start: int, stop: int) -> None:
            self.pending = True

        hyp.add_listener(listener)
        self._listener = (journal_listener, listener)
        self.history.attach(hyp)
        if not self.meta_path.exists():
            self._update_meta()

    def detach(self) -> None:
        if self._hyp is not None and self._listener is not None:
            for callback in self._listener:
                if callback in self._hyp._listeners:
                    self._hyp.remove_listener(callback)
        self._listener = None
        self.history.detach()

    def _update_meta(self, **changes) -> None:
        hyp = self._hyp
        now = time.time()
        meta = dict(self.meta)
        meta.setdefault("format", FORMAT)
        meta.setdefault("created", now)
        meta.setdefault("models", [])
        meta.setdefault("exports", [])
        meta.update(fingerprint=self.fingerprint, recording=str(self.recording_path),
                    name=self.recording_path.name, updated=now)
        if hyp is not None:
            meta.update(n_epochs=len(hyp), epoch_length=hyp.epoch_length,
                        person_epochs=int(hyp.is_person_labelled().sum()),
                        scored_epochs=int((hyp.stages != Stage.UNSCORED).sum()),
                        **provenance_counts(hyp))
        meta.update(changes)
        write_json(self.meta_path, meta)
        self.meta = meta

    def save(self) -> None:
        """Write the whole state atomically, then empty the journal it now contains."""
        hyp = self._hyp
        if hyp is None:
            return
        arrays = {"stages": hyp.stages, "sources": hyp.sources, "confidence": hyp.confidence}
        if hyp.probabilities is not None:
            arrays["probabilities"] = hyp.probabilities
            arrays["classes"] = np.asarray([int(c) for c in hyp.classes], np.int16)
        write_atomic(self.snapshot_path, lambda fh: np.savez(fh, **arrays))
        self._update_meta()
        if self.journal is not None:
            self.journal.clear()  # safe: the snapshot holds everything it had
        self.history.compact()
        self.pending = False

    def record_model(self, name: str, file_hash: str | None, signal: dict | None = None,
                     weights_hash: str | None = None) -> None:
        """Which model scored the model labels (newest last: its file's hash and its card's
        hash of the network, the one `sleepscorer info` prints), and what that scoring found
        wrong with the signal (`signal`, plain values: model.quality.signal_record)."""
        models = [*self.meta.get("models", []),
                  {"name": name, "sha256": file_hash, "time": time.time(),
                   **({"weights_sha256": weights_hash} if weights_hash else {})}]
        self._update_meta(models=models, signal=signal)

    def record_export(self, path: str | Path, labels: str | None = None) -> None:
        """`labels`: `person_labels_sha256` of what was exported, so that a reopened
        session still knows whether its labels differ from the last export."""
        exports = [*self.meta.get("exports", []),
                   {"path": str(Path(path).resolve()), "time": time.time(),
                    **({"person_sha256": labels} if labels else {})}][-50:]
        self._update_meta(exports=exports)

    def record_roles(self, roles: dict[str, str]) -> str | None:
        """Remember the channel roles a person chose (channel name -> "EEG", "EMG", "other")
        for the next opening; returns a note when the labels kept here were scored with
        other roles."""
        before = self.meta.get("roles")
        self._update_meta(roles=dict(roles))
        if before and before != roles and self.meta.get("models"):
            chosen = ", ".join(f"{k} {v}" for k, v in roles.items() if v != "other")
            return (f"the saved labels were scored with other channel roles ({chosen} now); "
                    "Ctrl+R re-scores with these")
        return None

    def record_video(self, path: str | Path | None, offset_s: float = 0.0) -> None:
        """The video watched beside this recording (None: none) and its offset (video time =
        recording time + offset), kept as `meta["video"]` {path, offset_s} for the next opening."""
        self.meta = {k: v for k, v in self.meta.items() if k != "video"}
        video = {"path": str(Path(path).resolve()), "offset_s": float(offset_s)} if path else {}
        self._update_meta(**({"video": video} if video else {}))

    def exported_labels(self, current: str, person_labelled: bool) -> str:
        """The person-label hash that counts as exported when this session is reopened: the
        last export's; with no export, `current` unless a person labelled something (never
        exported work is not saved for others); for an export recorded before the hash was,
        `current` (as before)."""
        exports = self.meta.get("exports") or []
        if exports:
            return exports[-1].get("person_sha256", current)
        return NEVER_EXPORTED if person_labelled else current

    def describe(self) -> str:
        """A few lines for File > Saved session."""
        meta = self.meta
        if not meta:
            return "no saved session yet"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(meta.get("updated", 0)))
        lines = [f"saved session of {meta.get('name', '?')} (last saved {when})",
                 f"{epochs_text(meta.get('n_epochs', '?'), meta.get('epoch_length', '?'))}, "
                 f"{meta.get('person_epochs', 0)} labelled by a person "
                 f"({meta.get('confirmed_epochs', 0)} confirming the model, "
                 f"{meta.get('corrected_epochs', 0)} corrected, "
                 f"{meta.get('imported_epochs', 0)} imported)",
                 f"folder: {self.folder}"]
        if meta.get("models"):
            model = meta["models"][-1]
            lines.append(f"model: {model.get('name')} (sha256 {str(model.get('sha256'))[:12]})")
        if meta.get("exports"):
            lines.append(f"last export: {meta['exports'][-1]['path']}")
        return "\n".join(lines)

    def set_aside(self, aside_dir: Path, reason: str) -> Path:
        """Move this session folder out of the way (kept, never applied); returns where."""
        self.detach()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = aside_dir / f"{self.folder.name}-{stamp}"
        n = 1
        while target.exists():
            target = aside_dir / f"{self.folder.name}-{stamp}-{n}"
            n += 1
        aside_dir.mkdir(parents=True, exist_ok=True)
        if self.folder.exists():
            shutil.move(str(self.folder), str(target))
            meta = read_json(target / "session.json") or {}
            meta["set_aside"] = {"time": time.time(), "reason": reason}
            write_json(target / "session.json", meta)
        return target


class SessionStore:
    """All sessions: `open(path, n_epochs_for, epoch_length)` finds or starts one."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else sessions_dir()

    @property
    def aside_dir(self) -> Path:
        return self.directory / "aside"

    @property
    def index_path(self) -> Path:
        return self.directory / "index.json"

    def _index(self) -> dict:
        return read_json(self.index_path) or {}

    def _remember(self, path: Path, key: str) -> None:
        index = self._index()
        index[str(path)] = key
        write_json(self.index_path, index)

    def saved_roles(self, path: str | Path) -> dict[str, str] | None:
        """The channel roles last chosen for the recording at `path` (None: never asked)."""
        session = self.session_for(path)
        return session.meta.get("roles") if session.exists() else None

    def session_for(self, path: str | Path) -> PersistentSession:
        path = Path(path).resolve()
        fingerprint = recording_fingerprint(path)
        return PersistentSession(self.directory / session_key(fingerprint), path, fingerprint)

    def open(self, path: str | Path, n_epochs_for, epoch_length: float) -> tuple[Hypnogram,
                                                                                   OpenResult]:
        """The hypnogram for the recording at `path`: its saved session if there is one
        (in the saved epoch layout), else an empty one at `epoch_length`.

        `n_epochs_for(epoch_length)` gives the recording's epoch count for a layout."""
        path = Path(path).resolve()
        session = self.session_for(path)
        notes: list[str] = []
        aside = None
        old_key = self._index().get(str(path))
        if not session.exists() and old_key and old_key != session.folder.name:
            old = PersistentSession(self.directory / old_key, path, "")
            if old.exists():
                aside = old.set_aside(self.aside_dir, "the recording's content changed")
                notes.append(f"{path.name} has changed since its saved session "
                             f"(another file at the same path): scored afresh; the old "
                             f"session is kept aside in {aside}")
        restored = False
        layout = session.saved_layout() if session.exists() else None
        if layout is not None:
            n_saved, saved_length = layout
            if n_epochs_for(saved_length) == n_saved:
                epoch_length = saved_length
            else:  # same fingerprint but another length: never apply it half
                aside = session.set_aside(self.aside_dir, "epoch layout does not match")
                notes.append(f"the saved session of {path.name} does not fit the recording; "
                             f"kept aside in {aside}")
                session = PersistentSession(session.folder, path, session.fingerprint)
        hyp = Hypnogram(n_epochs_for(epoch_length), epoch_length)
        if session.exists():
            restored = session.load_into(hyp)
            notes += session.problems
        self._remember(path, session.folder.name)
        session.attach(hyp)
        if restored:
            session.save()  # the journal is folded into the snapshot
        return hyp, OpenResult(session, restored, epoch_length, notes, aside)

    def discard(self, session: PersistentSession) -> Path:
        """Set a session aside at the user's request (File > Revert); returns where."""
        session.save()
        target = self.aside_dir / f"{session.folder.name}-reverted-{time.strftime('%Y%m%d-%H%M%S')}"
        self.aside_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(session.folder, target, dirs_exist_ok=True)
        return target
