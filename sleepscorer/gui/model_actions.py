"""What the window does with models: list them (in a worker), remember the active one,
export a recording's corrections, and fine-tune on them through the fine-tune dialog.
The corrections folder made for a fine-tune is removed again unless a model came of it:
a cancelled or failed run leaves nothing behind ("nothing was saved" is then true).

Model code is reached only through backend.py; the fine-tune dialog is imported when
first opened (it imports torch).
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QFileDialog

from sleepscorer.errors import SleepScorerError
from sleepscorer.gui import backend, dialogs
from sleepscorer.gui.workers import Task
from sleepscorer.hypnogram import Hypnogram

log = logging.getLogger(__name__)


def _list_models(*, extra: str | None, task: Task) -> tuple[list, str]:
    """The listed models, plus `extra` (a model file chosen by hand) when it is not one;
    and why `extra` could not be added ("" when it was, or there was none)."""
    task.report(0, 0, "listing models")
    entries = list(backend.list_models())
    if extra and Path(extra).exists():
        known = {Path(e.path).resolve() for e in entries}
        if Path(extra).resolve() not in known:
            try:
                entries.append(backend.model_entry(path=extra))
            except SleepScorerError as exc:
                log.warning("cannot list %s: %s", extra, exc)
                return entries, str(exc)
    return entries, ""


def _export(*, recording, hypnogram: Hypnogram, folder: Path, card: dict,
            task: Task) -> tuple[Path, str]:
    """(folder, what this export left out and why, or "")."""
    task.report(0, 0, f"exporting corrections to {folder.name}")
    entry = backend.export_corrections(recording=recording, hypnogram=hypnogram, out_dir=folder,
                                       card=card)
    return folder, backend.left_out_text(manifest={"classes": card["classes"],
                                                   "recordings": [entry]})


class ModelActions(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.panel = None
        self.tasks: list[Task] = []  # kept alive while they run
        self.dialog = None  # the open fine-tune dialog (tests answer it)

    @property
    def settings(self):
        return self.w.settings

    def _status(self, text: str, ms: int = 8000) -> None:
        self.w.statusBar().showMessage(text, ms)

    def _start(self, task: Task) -> Task:
        self.tasks.append(task)
        task.finished.connect(lambda: task in self.tasks and self.tasks.remove(task))
        task.start()
        return task

    # -- the list ---------------------------------------------------------------------
    def connect_panel(self, panel) -> None:
        self.panel = panel
        panel.activeChanged.connect(self._active_changed)
        panel.addRequested.connect(self.add_dialog)
        self.refresh()

    def refresh(self, then_select: Path | None = None, chosen: bool = False) -> Task:
        """List the models in a worker; select `then_select` or the saved active model.
        `chosen`: the user just chose `then_select`, so its listing says which model scores
        now (or why it cannot)."""
        active = then_select or self.settings.active_model
        task = Task("Listing models", _list_models, extra=str(active) if active else None)
        task.returned.connect(lambda found: self._listed(*found, active, chosen))
        task.errored.connect(lambda exc: self._status(f"cannot list models: {exc}"))
        return self._start(task)

    def _listed(self, entries: list, problem: str, active, chosen: bool = False) -> None:
        if problem:  # a file chosen by hand that is not a model: say so, keep the one in use
            self._status(f"cannot use it as a model: {problem}", 15000)
            self.w.warnings.add("models", problem)
            self.panel.set_models(entries, self.panel.weights)
            self.settings.active_model = self.panel.weights
            return
        self.panel.set_models(entries, Path(active) if active else None)
        if active and self.panel.weights is not None:
            self.settings.active_model = self.panel.weights
        if chosen and self.panel.weights is not None:  # a file chosen by hand that is a model:
            self._now_scores()  # its news replaces an earlier file's error in both places

    def _active_changed(self, path: Path | None) -> None:
        self.settings.active_model = path
        self._now_scores()

    def _now_scores(self) -> None:
        """A model was chosen: the status bar says it scores from now on, and an earlier
        choice's error (a file that is no model) leaves the status bar and Warnings panel."""
        self.w.warnings.replace_source("models", [])
        entry = self.panel.entry
        if entry is not None:
            self._status(f"{entry.name} scores from now on (Ctrl+R re-scores this recording)")

    def add_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Add a model file",
                                              self.settings.last_folder,
                                              "Models (*.safetensors);;All files (*)")
        if path:
            self.use_model(Path(path), chosen=True)

    def use_model(self, path: Path, rescore: bool = False, chosen: bool = False) -> Task:
        """Make `path` the active model (listing it if new); optionally re-score, keeping
        every epoch a person labelled. `chosen`: by hand, so the status bar answers."""
        self.settings.active_model = path
        task = self.refresh(then_select=path, chosen=chosen)
        if rescore:
            task.returned.connect(lambda _: self.w.session is not None
                                  and self.w.files.start_scoring(overwrite=False))
        return task

    # -- corrections ------------------------------------------------------------------
    def _base(self):
        entry = self.panel.entry if self.panel is not None else None
        if entry is None:
            dialogs.show_error(self.w, "No model", "error: there is no model to start from; "
                               "add one in the Automatic scoring panel")
        return entry

    def _person_labelled(self) -> int:
        n = int(self.w.session.hypnogram.is_person_labelled().sum())
        if n == 0:
            dialogs.show_error(self.w, "No corrections", "error: no epoch carries your own or "
                               "imported label yet; label or confirm (Enter) some epochs first")
        return n

    def _export_task(self, folder: Path, entry) -> Task:
        session = self.w.session
        hyp = session.hypnogram
        snapshot = Hypnogram.from_arrays(hyp.stages.copy(), hyp.epoch_length,
                                         sources=hyp.sources.copy())  # the worker's own copy
        task = Task("Exporting corrections", _export, recording=session.recording,
                    hypnogram=snapshot, folder=folder, card=entry.card)
        task.errored.connect(lambda exc: dialogs.show_error(
            self.w, "Cannot export corrections", f"error: {exc}"))
        self.w.task_bar.watch(task)
        return self._start(task)

    def export_dialog(self) -> None:
        entry = self._base()
        if entry is None or not self._person_labelled():
            return
        start = backend.corrections_dir()
        try:  # a folder that does not exist yet greyed out Choose (a user trial)
            start.mkdir(parents=True, exist_ok=True)
        except OSError:
            start = Path.home()
        folder = QFileDialog.getExistingDirectory(self.w, "Export corrections into folder",
                                                  str(start))
        if folder:
            task = self._export_task(Path(folder), entry)
            task.returned.connect(lambda done: self._status(
                f"corrections added to {done[0]}" + (f"; {done[1]}" if done[1] else "")))

    def finetune_dialog(self) -> None:
        """Export this recording's corrections, then open the fine-tune dialog on them."""
        entry = self._base()
        if entry is None or not self._person_labelled():
            return
        folder = new_corrections_folder(self.w.session.recording.source.stem)
        task = self._export_task(folder, entry)
        task.returned.connect(lambda done: self._open_finetune(Path(done[0]), Path(entry.path)))
        task.errored.connect(lambda _exc: remove_made_folder(folder))

    def _open_finetune(self, folder: Path, base: Path) -> None:
        from sleepscorer.gui.finetune_dialog import FinetuneDialog

        self.dialog = FinetuneDialog([folder], base=base, parent=self.w)
        accepted = self.dialog.exec() == QDialog.DialogCode.Accepted
        path = self.dialog.model_path
        self.dialog = None
        if path is None:  # cancelled, failed, not better, or closed before a start
            remove_made_folder(folder)
            self._status("fine-tuning closed: nothing was saved; the model in use is "
                         "unchanged")
        elif accepted:
            self._status(f"using {path.name}; re-scoring (your labels are kept)")
            self.use_model(path, rescore=True)
        else:
            self._status(f"{path.name} is saved but not in use: choose it under Automatic "
                         "scoring", 15000)


def new_corrections_folder(stem: str) -> Path:
    """A corrections folder name for `stem` that is not taken yet: a fine-tune then owns
    the whole folder and may remove it, never appending to one the user had."""
    folder = backend.corrections_dir() / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}"
    taken = 1
    while folder.exists():
        taken += 1
        folder = folder.with_name(f"{stem}-{datetime.now():%Y%m%d-%H%M%S}-{taken}")
    return folder


def remove_made_folder(folder: Path) -> None:
    """Remove a corrections folder made by `new_corrections_folder` for a fine-tune that
    kept no model."""
    shutil.rmtree(folder, ignore_errors=True)
