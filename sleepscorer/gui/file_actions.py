"""What the window does with files: open (in a worker, then auto-score), import labels,
export labels / BIDS events / statistics, restore a crashed session, ask before closing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThreadPool
from PySide6.QtWidgets import QDialog, QFileDialog

from sleepscorer.core.hypnogram import Hypnogram, Source
from sleepscorer.core.journal import Journal
from sleepscorer.core.statistics import compute_statistics, write_statistics_csv
from sleepscorer.errors import Cancelled, SleepScorerError
from sleepscorer.gui import backend, dialogs
from sleepscorer.gui.session import ScoringSession
from sleepscorer.gui.workers import LoadedRecording, Task, prepare_recording, run_scoring

log = logging.getLogger(__name__)
LABEL_SUFFIXES = {".csv", ".tsv", ".mat", ".txt"}
RECORDING_FILTER = ("Recordings (*.edf *.bdf *.mat *.continuous *.csv *.npz *.parquet *.fif);;"
                    "All files (*)")
LABEL_FILTER = "Label files (*.csv *.tsv *.mat *.txt);;All files (*)"


class FileActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.task: Task | None = None
        self.path: Path | None = None

    @property
    def session(self) -> ScoringSession | None:
        return self.w.session

    def _status(self, text: str, ms: int = 8000) -> None:
        self.w.statusBar().showMessage(text, ms)

    # -- tasks ------------------------------------------------------------------------
    def _run(self, task: Task) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
        self.task = task
        self.w.task_bar.watch(task)
        task.start()

    def busy(self) -> bool:
        return self.task is not None and self.task.running

    def shutdown(self) -> None:
        if self.task is not None:
            self.task.cancel()
        QThreadPool.globalInstance().waitForDone(5000)

    # -- opening ----------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open recording",
                                              self.w.settings.last_folder, RECORDING_FILTER)
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self.w, "Open recording folder",
                                                self.w.settings.last_folder)
        if path:
            self.open_path(path)

    def dropped(self, path: Path) -> None:
        """A dropped labels file goes onto the open recording; anything else is opened."""
        if self.session is not None and path.is_file() and path.suffix.lower() in LABEL_SUFFIXES:
            self.import_labels(path)
        else:
            self.open_path(path)

    def open_path(self, path: str | Path, roles: dict | None = None,
                  ask_to_save: bool = True) -> None:
        path = Path(path)
        if ask_to_save and not self.may_close():
            return
        epoch_length = self.w.settings.epoch_length
        task = Task(f"Opening {path.name}", prepare_recording, str(path), roles, epoch_length)
        task.returned.connect(lambda loaded: self._loaded(task, path, loaded))
        task.errored.connect(lambda exc: self._failed(task, exc, f"Cannot open {path.name}"))
        self._run(task)

    def _failed(self, task: Task, exc: BaseException, title: str) -> None:
        if task is not self.task:
            return
        if isinstance(exc, Cancelled):
            self._status(f"{task.name}: cancelled")
        elif isinstance(exc, SleepScorerError):
            dialogs.show_error(self.w, title, f"error: {exc}")
        else:
            log.error("%s", title, exc_info=exc)
            dialogs.show_error(self.w, title, f"unexpected error: {type(exc).__name__}: {exc}")

    def _loaded(self, task: Task, path: Path, loaded: LoadedRecording) -> None:
        if task is not self.task:
            return
        rec = loaded.recording
        if rec.eeg is None:
            self._ask_roles(path, rec)
            return
        for warning in rec.warnings:
            self._status(f"warning: {warning}", 15000)
        epoch_length = loaded.epoch_length
        hyp = Hypnogram(rec.n_epochs(epoch_length), epoch_length)
        journal = Journal(path, len(hyp), epoch_length)
        restored = self._offer_restore(journal, hyp)
        session = ScoringSession(rec, hyp, journal, self.w.settings.low_confidence)
        session.dirty = restored
        self.path = path
        self.w.set_session(session, loaded)
        self.w.settings.add_recent(path)
        if not (restored and (hyp.sources == Source.MODEL).any()):
            self.start_scoring(overwrite=False)

    def _ask_roles(self, path: Path, rec) -> None:
        from sleepscorer.gui.channel_dialog import ChannelDialog

        dialog = ChannelDialog(rec, self.w)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            self._status("no EEG channel chosen: recording not opened")
            return
        self.open_path(path, roles=dialog.roles(), ask_to_save=False)

    def _offer_restore(self, journal: Journal, hyp: Hypnogram) -> bool:
        entries = journal.entries()
        if not entries:
            journal.clear()  # a journal for another layout, or an empty one
            return False
        if dialogs.ask_restore(self.w, len(entries), entries[-1].time):
            journal.replay(hyp)
            self._status(f"restored {len(entries)} unsaved change(s)")
            return True
        journal.clear()
        return False

    # -- scoring ----------------------------------------------------------------------
    def score_again(self) -> None:
        session = self.session
        n_person = int(session.hypnogram.is_person_labelled().sum())
        overwrite = False
        if n_person:
            go, overwrite = dialogs.ask_rescore(self.w, n_person)
            if not go:
                return
        self.start_scoring(overwrite)

    def start_scoring(self, overwrite: bool = False) -> None:
        session = self.session
        modality = self.w.model_panel.modality_name
        weights = self.w.model_panel.weights or self.w.settings.active_model  # None: bundled
        task = Task("Automatic scoring", run_scoring, session.recording,
                    session.epoch_length, modality, weights, self.w.settings.rem_from_wake,
                    not self.w.settings.ignore_lab_gate)
        task.returned.connect(lambda result: self._scored(task, session, result, overwrite))
        task.errored.connect(lambda exc: self._score_failed(task, exc))
        task.status.connect(self.w.model_info.setText)
        self._run(task)

    def _scored(self, task: Task, session: ScoringSession, result, overwrite: bool) -> None:
        if session is not self.session:
            return
        session.hypnogram.apply_model(result.probabilities, result.classes,
                                      overwrite_person=overwrite)
        text = f"model: {result.model_name} on {result.device_used}"
        self.w.model_info.setText(text)
        self.w.model_panel.show_result(result.model_name, str(result.device_used))
        low = int(((session.hypnogram.sources == Source.MODEL)
                   & (session.hypnogram.confidence < session.low_confidence)).sum())
        notes = list(getattr(result, "warnings", []))
        self.w.model_info.setToolTip("\n".join(notes))
        self._status(f"scored {len(result.probabilities)} epochs; {low} below "
                     f"{session.low_confidence:.0%} confidence (N jumps to the next)"
                     + "".join(f"; note: {n}" for n in notes), 30000 if notes else 8000)

    def _score_failed(self, task: Task, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.w.model_info.setText("scoring cancelled")
            self._status("automatic scoring cancelled; labels unchanged")
        elif isinstance(exc, SleepScorerError):
            problem = getattr(exc, "problem", str(exc))
            self.w.model_info.setText("not scored: " + (problem if len(problem) < 60
                                                        else problem[:57] + "..."))
            self.w.model_info.setToolTip(str(exc))
            self._status(f"automatic scoring unavailable: {exc}", 60000)
        else:
            log.error("scoring failed", exc_info=exc)
            self.w.model_info.setText("scoring failed")
            self._status(f"automatic scoring failed: {type(exc).__name__}: {exc}", 20000)

    # -- labels in and out ------------------------------------------------------------
    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Import labels",
                                              self.w.settings.last_folder, LABEL_FILTER)
        if path:
            self.import_labels(Path(path))

    def import_labels(self, path: Path) -> None:
        hyp = self.session.hypnogram
        try:
            other = backend.read_labels(path, n_epochs=len(hyp), epoch_length=hyp.epoch_length)
        except (SleepScorerError, ValueError, OSError) as exc:
            dialogs.show_error(self.w, f"Cannot import {path.name}", f"error: {exc}")
            return
        edit = self.session.import_labels(other)
        n = 0 if edit is None else int(np.count_nonzero(edit.new_sources == Source.IMPORTED))
        self._status(f"imported {n} labelled epoch(s) from {path.name} (Ctrl+Z undoes)")

    def _save_name(self, title: str, suffix: str, filters: str) -> str:
        base = self.path.stem if self.path else "labels"
        folder = self.path.parent if self.path else Path(self.w.settings.last_folder)
        path, _ = QFileDialog.getSaveFileName(self.w, title, str(folder / f"{base}{suffix}"),
                                              filters)
        return path

    def export_csv(self, path: str | Path | None = None) -> bool:
        path = path or self._save_name("Export labels", "_labels.csv", "CSV (*.csv)")
        if not path:
            return False
        return self._export(backend.write_labels_csv, path,
                            epoch_length=self.w.settings.export_epoch_length)

    def export_bids(self, path: str | Path | None = None) -> bool:
        path = path or self._save_name("Export BIDS events", "_events.tsv", "TSV (*.tsv)")
        if not path:
            return False
        return self._export(backend.write_bids_events, path)

    def _export(self, writer, path, **kwargs) -> bool:
        try:
            writer(self.session.hypnogram, Path(path), **kwargs)
        except (SleepScorerError, ValueError, OSError) as exc:
            dialogs.show_error(self.w, "Export failed", f"error: {exc}")
            return False
        self.session.mark_saved()
        self._status(f"saved {path}")
        return True

    def export_statistics(self, path: str | Path | None = None) -> bool:
        if self.session is None:
            return False
        path = path or self._save_name("Export statistics", "_statistics.csv", "CSV (*.csv)")
        if not path:
            return False
        try:
            write_statistics_csv(compute_statistics(self.session.hypnogram), path)
        except OSError as exc:
            dialogs.show_error(self.w, "Export failed", f"error: {exc}")
            return False
        self._status(f"saved {path}")
        return True

    # -- closing ----------------------------------------------------------------------
    def may_close(self) -> bool:
        """True when the current labels may go: saved, saved now, or discarded."""
        if self.session is None or not self.session.dirty:
            return True
        answer = dialogs.ask_save(self.w)
        if answer == "save":
            return self.export_csv()
        if answer == "discard":
            self.session.mark_saved()
            return True
        return False
