"""Which channels are scored as EEG and EMG: asked on opening when the names did not tell, and
chosen at any time from Scoring > Channels.... A change re-scores only the epochs no person
set, and the roles are kept with the recording's session, so a reopening uses them. The
dialog itself is channel_dialog.py; opening and scoring stay with FileActions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog

from sleepscorer.gui import backend
from sleepscorer.gui.channel_dialog import ChannelDialog
from sleepscorer.gui.workers import Task, prepare_with_roles


def stored_roles(roles: dict) -> dict[str, str]:
    """Roles as the session keeps them: channel name -> "EEG", "EMG" or "other"."""
    return {name: backend.ChannelKind(kind).value for name, kind in roles.items()}


class ChannelChoice:
    def __init__(self, files):
        self.files = files  # FileActions: opening, scoring and the session store

    def saved(self, path: Path) -> dict | None:
        """The roles chosen last time for the recording at `path` (None: never chosen)."""
        if not (path.is_file() or path.is_dir()):  # missing, or a FIFO: the reader says so
            return None
        try:
            return self.files.store.saved_roles(path) or None
        except OSError:
            return None

    def ask_on_open(self, path: Path, rec) -> None:
        """No EEG recognised: ask (last time's answer offered first), then open with it."""
        dialog = ChannelDialog(rec, self.files.w, self.saved(path))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self.files._status("no EEG channel chosen: recording not opened")
            return
        self._apply(path, rec, dialog.roles(), rescore=False)

    def choose(self) -> None:
        """Scoring > Channels...: the open recording's EEG and EMG, pre-filled as in use."""
        f = self.files
        rec = f.session.recording
        dialog = ChannelDialog(rec, f.w)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        now = (rec.eeg.name if rec.eeg else None, rec.emg.name if rec.emg else None)
        if (dialog.eeg_box.currentData(), dialog.emg_box.currentData()) == now:
            f._status("channels unchanged: nothing to re-score")
            return
        self._apply(f.path, rec, dialog.roles(), rescore=True)

    def _apply(self, path: Path, rec, roles: dict, rescore: bool) -> None:
        f = self.files
        task = Task(f"Opening {path.name}", prepare_with_roles, recording=rec, roles=roles,
                    epoch_length=f.w.settings.epoch_length)
        task.returned.connect(lambda loaded: self._loaded(task, path, loaded, roles, rescore))
        task.errored.connect(lambda exc: f._failed(task, exc, f"Cannot open {path.name}"))
        f._open(task)

    def _loaded(self, task: Task, path: Path, loaded, roles: dict, rescore: bool) -> None:
        f = self.files
        if not rescore:  # asked on opening: remembered (and said if saved labels differ)
            f._loaded(task, path, loaded, roles)
            return
        f._loaded(task, path, loaded)  # the session is kept: person labels stay as they are
        session = f.session
        if session is None or session.recording is not loaded.recording:
            return
        if session.store is not None:
            session.store.record_roles(stored_roles(roles))
        if not f.busy():  # re-score what the model labelled; a person's labels are kept
            f.start_scoring(overwrite=False)
        used = ", ".join(f"{k} {c.name}" for k, c in (("EEG", loaded.recording.eeg),
                                                      ("EMG", loaded.recording.emg)) if c)
        f._status(f"scoring {used}; epochs labelled by a person are kept", 15000)
