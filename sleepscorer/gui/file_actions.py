"""What the window does with files: open (in a worker, then auto-score), hand dropped label
files to label_files.py, export (exports.py), keep the persistent session
of each recording (backend.SessionStore: reopened as it was, whatever happened), revert it, ask
before closing."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QObject, QThreadPool
from PySide6.QtWidgets import QFileDialog

from sleepscorer.errors import Cancelled, RateNeeded, SleepScorerError
from sleepscorer.gui import backend, dialogs
from sleepscorer.gui.channel_choice import ChannelChoice, stored_roles
from sleepscorer.gui.exports import ExportActions
from sleepscorer.gui.label_files import LABEL_SUFFIXES, LabelFiles
from sleepscorer.gui.session import ScoringSession
from sleepscorer.gui.workers import (
    LoadedRecording,
    Task,
    prepare_recording,
    run_scoring,
)
from sleepscorer.hypnogram import Hypnogram, Source

log = logging.getLogger(__name__)


def _cancel(task: Task | None) -> None:
    if task is not None and task.running:
        task.cancel()


def recording_filter() -> str:
    """The Open dialog's filter, from the readers' own list of suffixes."""
    patterns = " ".join(f"*{s}" for s in backend.recording_suffixes())
    return f"Recordings ({patterns});;All files (*)"


class FileActions(ExportActions, QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.task: Task | None = None  # the open recording's scoring
        self.opening: Task | None = None  # a recording being opened: the open one stays until
        # it has opened, so a file that fails to open costs nothing (its scoring goes on)
        self.path: Path | None = None
        self.file_notes: list[str] = []  # the open file's own warnings (reader, session)
        self.table_rate: float | None = None  # the rate last given for a CSV/Parquet table
        self.store = backend.SessionStore()
        self.labels = LabelFiles(window, self._status)
        self.channels = ChannelChoice(self)  # the EEG/EMG scored (Scoring > Channels...)

    @property
    def session(self) -> ScoringSession | None:
        return self.w.session

    def _status(self, text: str, ms: int = 8000) -> None:
        self.w.statusBar().showMessage(text, ms)

    # -- tasks ------------------------------------------------------------------------
    def _run(self, task: Task) -> None:
        """Start the open recording's scoring, in place of any still running."""
        _cancel(self.task)
        self.task = task
        self.w.task_bar.watch(task)
        task.start()

    def _open(self, task: Task) -> None:
        _cancel(self.opening)  # the file chosen last is the one opened
        self.opening = task
        self.w.task_bar.watch(task)
        task.start()

    def busy(self) -> bool:
        return any(t is not None and t.running for t in (self.task, self.opening))

    def shutdown(self) -> None:
        if self.session is not None:
            self.session.save()
        _cancel(self.opening)
        _cancel(self.task)
        QThreadPool.globalInstance().waitForDone(5000)

    # -- opening ----------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open recording",
                                              self.w.settings.last_folder, recording_filter())
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self.w, "Open recording folder",
                                                self.w.settings.last_folder)
        if path:
            self.open_path(path)

    def dropped(self, path: Path) -> None:
        """A dropped file is opened as what it holds: labels go onto the open recording,
        a recording is opened; a .mat or .csv holding both asks which is meant."""
        path = Path(path)
        if path.is_dir():
            self.open_path(path)
            return
        suffix = path.suffix.lower()
        if (suffix not in LABEL_SUFFIXES and suffix not in backend.recording_suffixes()
                and not backend.holds_recording(path=path)):  # an EDF with no suffix opens
            supported = ", ".join(backend.recording_suffixes())
            self._status(f"{path.name}: not a file SleepScorer reads (recordings: {supported}, "
                         "or an Open Ephys folder; labels: .csv, .tsv, .mat, .txt)", 15000)
            return
        holds = backend.file_contents(path=path)
        if self.session is None and "signals" not in holds:
            self._status(f"{path.name} holds labels: open its recording first (File > Open or "
                         "drop it here), then drop the labels onto it", 15000)
        elif self.session is None or "labels" not in holds:
            self.open_path(path)
        elif "signals" not in holds:
            self.labels.import_labels(path)
        else:
            choice = dialogs.ask_drop_kind(self.w, path.name)
            if choice == "labels":
                self.labels.import_labels(path)
            elif choice == "recording":
                self.open_path(path)

    def open_path(self, path: str | Path, roles: dict | None = None,
                  ask_to_save: bool = True, rate: float | None = None) -> None:
        path = Path(path)
        try:  # a file refused at its header is said before the open one is asked to close
            backend.check_opens(path=path)
        except SleepScorerError as exc:
            dialogs.show_error(self.w, f"Cannot open {path.name}", f"error: {exc}")
            return
        except OSError:
            pass  # the full read says why
        if ask_to_save and not self.may_close():
            return
        roles = roles or self.channels.saved(path)  # the channels chosen last time, if any
        epoch_length = self.w.settings.epoch_length
        task = Task(f"Opening {path.name}", prepare_recording, path=str(path), roles=roles,
                    epoch_length=epoch_length, rate=rate)
        task.returned.connect(lambda loaded: self._loaded(task, path, loaded))
        task.errored.connect(lambda exc: self._open_failed(task, exc, path, roles))
        self._open(task)

    def _open_failed(self, task: Task, exc: BaseException, path: Path, roles: dict | None) -> None:
        """A table that does not say its rate is asked for it (the reader's message named a
        command-line flag the app does not have)."""
        if isinstance(exc, RateNeeded) and task is self.opening:
            self.opening = None
            rate = dialogs.ask_rate(self.w, path.name, self.table_rate)
            if rate is not None:
                self.table_rate = rate
                self.open_path(path, roles, ask_to_save=False, rate=rate)
            return
        self._failed(task, exc, f"Cannot open {path.name}")

    def _failed(self, task: Task, exc: BaseException, title: str) -> None:
        if task is not self.opening:
            return
        self.opening = None
        if isinstance(exc, Cancelled):
            self._status(f"{task.name}: cancelled")
        elif isinstance(exc, SleepScorerError):
            dialogs.show_error(self.w, title, f"error: {exc}")
        else:
            log.error("%s", title, exc_info=exc)
            dialogs.show_error(self.w, title, f"unexpected error: {type(exc).__name__}: {exc}")

    def _loaded(self, task: Task, path: Path, loaded: LoadedRecording,
                roles: dict | None = None) -> None:
        if task is not self.opening:
            return
        self.opening = None
        rec = loaded.recording
        if rec.eeg is None:
            self.channels.ask_on_open(path, rec)
            return
        if self.task is not None and self.task.running and self.path is not None:  # said
            self._status(f"scoring of {self.path.name} stopped as you left it; it starts again "
                         "when you open it", 10000)
        _cancel(self.task)  # the recording being left: its scoring stops, its labels are kept
        if self.session is not None:
            self.session.save()  # the recording being left is on disk before the next opens
        try:
            hyp, found = self.store.open(path, rec.n_epochs, loaded.epoch_length)
        except OSError as exc:  # open anyway, and say loudly that work is not being kept
            hyp = Hypnogram(rec.n_epochs(loaded.epoch_length), loaded.epoch_length)
            found = SimpleNamespace(session=None, restored=False, epoch_length=hyp.epoch_length,
                                    notes=[f"your work on this recording is NOT being saved: "
                                           f"the app data folder {self.store.directory} cannot "
                                           f"be written ({exc}); export before closing, and "
                                           "free space or fix its permissions"])
        loaded.epoch_length = found.epoch_length
        session = ScoringSession(rec, hyp, low_confidence=self.w.settings.low_confidence,
                                 store=found.session)
        self.path = path
        self.w.set_session(session, loaded)
        self.w.settings.add_recent(path)
        self.w.warnings.clear_for(path.name)
        self.labels.opened(session)
        if roles and found.session is not None:  # asked: remembered for the next opening
            found.notes += filter(None, [found.session.record_roles(stored_roles(roles))])
        self.file_notes = [*rec.warnings, *found.notes]
        self.w.warnings.replace_source(path.name, self.file_notes)
        self.w.model_info.setText("")  # what was said of the recording left
        self.w.model_panel.show_unscored()
        labelled = bool((hyp.sources != Source.NONE).any())  # a session left before scoring
        if found.restored and labelled:  # holds nothing to call "restored" (a user trial)
            models = found.session.meta.get("models") if found.session is not None else None
            self.w.model_panel.show_restored(models[-1].get("name") if models else None)
            n_person = int(hyp.is_person_labelled().sum())
            self._status(f"reopened your session of {path.name}: {n_person} epoch(s) labelled "
                         "by a person (File > Saved session shows it; File > Revert to model "
                         "scoring discards it)", 15000)
        elif found.notes:
            self._status(found.notes[0], 20000)
        if not (hyp.sources == Source.MODEL).any():
            self.start_scoring(overwrite=False)  # person labels are kept

    # -- the saved session -------------------------------------------------------------
    def show_saved_session(self) -> None:
        session = self.session
        if session.store is None:
            dialogs.show_info(self.w, "Saved session", "This recording has no saved session: "
                              f"the app data folder {self.store.directory} cannot be written.")
            return
        session.save()  # what is shown is what is on disk, up to the last edit
        dialogs.show_info(self.w, "Saved session", session.store.describe()
                          + "\n\nEvery change is saved here as you work; exports are copies.")

    def revert_to_model(self) -> None:
        """Discard the person's labels (a copy of the session is kept aside; Ctrl+Z undoes)."""
        session = self.session
        hyp = session.hypnogram
        n_person = int(hyp.is_person_labelled().sum())
        if not n_person:
            self._status("nothing to revert: no epoch is labelled by a person")
            return
        if not dialogs.ask_revert(self.w, n_person):
            return
        kept = self.store.discard(session.store) if session.store is not None else "nowhere"
        have_model = (hyp.probabilities is not None and hyp.classes
                      and not np.isnan(hyp.probabilities).any())
        if have_model:
            hyp.apply_model(hyp.probabilities, hyp.classes, overwrite_person=True)
            session.save()
            self._status(f"reverted {n_person} epoch(s) to model scoring (Ctrl+Z undoes); "
                         f"the session before is kept in {kept}", 15000)
        else:
            self._status(f"re-scoring; the session before is kept in {kept}", 15000)
            self.start_scoring(overwrite=True)

    # -- scoring ----------------------------------------------------------------------
    def score_again(self) -> None:
        session = self.session
        if session is None:  # the model panel's button, before any recording is open
            self._status("open a recording first (File > Open or drop a file here)")
            return
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
        # the person's labels as they are now (not as edited while scoring runs) choose the
        # file's scaling when there are enough of them
        hyp = session.hypnogram
        person = hyp.snapshot() if hyp.is_person_labelled().any() else None
        settings = self.w.settings
        options = backend.scoring_options(modality=modality, epoch_length=session.epoch_length,
                                          rem_from_wake=settings.rem_from_wake,
                                          emg_rules=not settings.rem_keeps_tone,
                                          lab_gate=not settings.ignore_lab_gate)
        task = Task("Automatic scoring", run_scoring, recording=session.recording,
                    options=options, weights=weights, calibration=person)
        task.returned.connect(lambda result: self._scored(task, session, result, overwrite))
        task.errored.connect(lambda exc: self._score_failed(task, session, exc))
        self._run(task)

    def _scored(self, task: Task, session: ScoringSession, result, overwrite: bool) -> None:
        if session is not self.session:
            return
        session.hypnogram.apply_model(result.probabilities, result.classes,
                                      overwrite_person=overwrite)
        session.signal = getattr(result, "signal", None)  # the export's note column
        if session.store is not None:
            session.store.record_model(result.model_name, getattr(result, "model_sha256", None),
                                       session.signal, getattr(result, "weights_sha256", None))
            session.save()
        text = f"model: {result.model_name} on {result.device_used}"
        self.w.model_info.setText(text)
        self.w.model_panel.show_result(result.model_name, str(result.device_used),
                                       str(getattr(result, "modality", "both")))
        low = int(session.review.low_confidence_mask().sum())  # where N stops
        notes = [n for n in getattr(result, "warnings", []) if n not in self.file_notes]  # once
        flat = getattr(result, "flat_channels", set())  # the gate's flat lines replace the reader's
        self.w.warnings.replace_source(self.path.name, backend.without_flat_notes(
            notes=self.file_notes, names=flat))
        self.w.warnings.replace_source("scoring", notes)
        self.w.model_info.setToolTip("\n".join(notes))
        runs = session.low_confidence_runs()
        self._status(f"scored {len(result.probabilities)} epochs; {low} below "
                     f"{session.low_confidence:.0%} confidence in {runs} "
                     f"run{'' if runs == 1 else 's'} (N jumps to the next run)"
                     + "".join(f"; note: {n}" for n in notes), 30000 if notes else 8000)

    def _score_failed(self, task: Task, session: ScoringSession, exc: BaseException) -> None:
        if session is not self.session:  # a recording left while it was scored
            return
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

    # -- closing ----------------------------------------------------------------------
    def may_close(self) -> bool:
        """True when the recording may close. The session is kept either way; the question
        (export a copy first?) comes only when a person changed labels since the last export."""
        if self.session is None:
            return True
        self.session.save()
        if not self.session.dirty:
            return True
        answer = dialogs.ask_save(self.w, self.path and self.path.name, self.session.ever_exported)
        if answer == "save":
            return self.export_csv()
        return answer == "discard"
