"""Label files brought to the open recording: imported into the session, or shown beside it
for comparison; their reading notes are listed while what they describe is on screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from sleepscorer.errors import SleepScorerError
from sleepscorer.gui import backend, dialogs
from sleepscorer.gui.warnings_panel import WarningsPanel
from sleepscorer.stages import Stage

LABEL_SUFFIXES = {".csv", ".tsv", ".mat", ".txt"}
LABEL_FILTER = "Label files (*.csv *.tsv *.mat *.txt);;All files (*)"


class LabelFiles:
    def __init__(self, window, status: Callable[..., None]):  # noqa: ANN001 - the MainWindow
        self.w = window
        self._status = status
        self.notes = LabelFileNotes(window.warnings)
        self._compared: Path | None = None  # the file shown for comparison

    @property
    def session(self):  # noqa: ANN201 - the ScoringSession shown
        return self.w.session

    def opened(self, session) -> None:  # noqa: ANN001 - a ScoringSession
        """A recording was opened (its warnings panel cleared): notes follow its labels."""
        self.notes.reset()
        session.labelsChanged.connect(lambda *_: self.notes.follow(session.hypnogram))

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Import labels",
                                              self.w.settings.last_folder, LABEL_FILTER)
        if path:
            self.import_labels(Path(path))

    def compare_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Compare with labels",
                                              self.w.settings.last_folder, LABEL_FILTER)
        if path:
            self.compare_with(Path(path))

    def compare_with(self, path: Path) -> bool:
        """Show a second labels file beside the session's (nothing of the session changes)."""
        other = self._read_labels(path, "Cannot read")
        if other is None:
            return False
        self.notes.compared(Path(path).name, self._notes(path, other))
        self._compared = Path(path)
        self.w.set_comparison(other, Path(path).name)
        n = int(np.count_nonzero(self.w._disagreements()))
        self._status(f"comparing with {Path(path).name}: {n} epoch(s) disagree (D jumps to the "
                     "next)", 10000)
        return True

    def export_comparison(self, path: str | Path | None = None) -> bool:
        """The comparison shown (File > Compare with labels) as `compare -o` writes it: the
        file's labels as A, the session's as B, as the statistics panel reads them."""
        if self.w.comparison is None:
            self._status("no second labels to compare with (File > Compare with labels)", 5000)
            return False
        other, name = self.w.comparison
        path = path or self.w.files.save_name("Export comparison", "_comparison.json",
                                              "JSON (*.json)")
        recording = self.w.files.path
        ours = f"SleepScorer labels of {recording.name}" if recording else "SleepScorer labels"
        return bool(path) and self.w.files.write_result(lambda: backend.write_comparison(
            a=other, b=self.session.hypnogram, path=path, names=(name, ours),
            inputs=[p for p in (recording, self._compared) if p]), path)

    def import_labels(self, path: Path) -> None:
        if (other := self._read_labels(path, "Cannot import")) is None:
            return
        mine = backend.overruled(hyp=self.session.hypnogram, other=other)
        answer = dialogs.ask_keep_mine(self.w, mine, path.name) if mine else "replace"
        if answer == "cancel":
            return
        keep = answer == "keep"
        person, model = backend.import_parts(hyp=self.session.hypnogram, other=other)
        edit = self.session.import_labels(other, keep_mine=keep)
        if edit is None:  # Ctrl+Z would undo the step before: say so, and claim nothing
            self._status(f"nothing imported from {path.name}: its labels are those already "
                         "shown", 10000)
            return
        notes = self._notes(path, other)
        self.notes.imported(edit, path.name, notes, self.session.hypnogram)
        same = edit.old_stages == edit.new_stages
        marked = int((same & (edit.old_sources != edit.new_sources)).sum())
        kept = f"; your {mine} differing label(s) kept" if keep else (
            f"; {mine} of your labels replaced" if mine else "")
        self._status(f"imported {int(person.sum())} person-set and {int(model.sum())} model label(s) "
                     f"from {path.name} ({int((~same).sum())} relabelled, {marked} only marked "
                     f"as imported{kept}); {len(notes)} note(s) in Warnings; Ctrl+Z undoes")

    def _read_labels(self, path: Path, failure: str):  # noqa: ANN202 - Hypnogram | None
        """A label file at the session's epochs; None if unreadable (said in a dialog). A file
        that records no epoch length and would cover the recording at a longer one is read at
        that one if the person agrees."""
        hyp = self.session.hypnogram
        try:
            other = backend.read_labels(path=path, n_epochs=len(hyp), epoch_length=hyp.epoch_length)
            length = other.covering_epoch_length
            if length and dialogs.ask_file_epoch_length(
                    self.w, Path(path).name, length,
                    f"its labels cover only {self._coverage(other)} of the recording"):
                other = backend.read_labels(path=path, n_epochs=len(hyp),
                                            epoch_length=hyp.epoch_length, file_epoch_length=length)
                other.warnings.append(f"{path}: read as one label per {length:g} s, as chosen "
                                      "(the file does not record its epoch length)")
        except (SleepScorerError, ValueError, OSError) as exc:
            dialogs.show_error(self.w, f"{failure} {Path(path).name}", f"error: {exc}")
            return None
        return other

    @staticmethod
    def _coverage(hyp) -> str:  # noqa: ANN001 - a Hypnogram
        scored = np.flatnonzero(hyp.stages != Stage.UNSCORED)
        covered = (scored[-1] + 1) / len(hyp) if len(scored) else 0.0
        return f"{covered:.0%}"

    @staticmethod
    def _notes(path: Path, other) -> list[str]:  # noqa: ANN001 - a Hypnogram
        return [w.removeprefix(f"{path}: ") for w in other.warnings]


class LabelFileNotes:
    """The reading notes of label files, listed only while what they describe is shown.

    Why: a comparison's notes stayed after another file replaced it, and an import's after
    Ctrl+Z took it back, so the panel spoke of labels no longer on screen.
    """

    def __init__(self, panel: WarningsPanel):
        self.panel = panel
        self._comparison: str | None = None
        self._imports: list[tuple[object, str, list[str]]] = []  # edit, source, notes
        self._shown: dict[str, list[str]] = {}

    def reset(self) -> None:
        """Another recording: its panel was cleared already."""
        self._comparison, self._imports, self._shown = None, [], {}

    def compared(self, name: str, notes: list[str]) -> None:
        if self._comparison is not None:
            self.panel.replace_source(self._comparison, [])
        self._comparison = f"{name} (compared)"
        self.panel.replace_source(self._comparison, notes)

    def imported(self, edit, name: str, notes: list[str], hypnogram) -> None:  # noqa: ANN001
        """`edit` (None: the import changed nothing, so its notes describe nothing shown)."""
        if edit is not None:
            self._imports.append((edit, f"{name} (imported)", notes))
        self.follow(hypnogram)

    def follow(self, hypnogram) -> None:  # noqa: ANN001 - a Hypnogram
        """Labels changed (an undo or redo among them): a file's import notes are listed
        exactly while one of its imports is in effect."""
        wanted: dict[str, list[str]] = {}
        for edit, source, notes in self._imports:
            wanted.setdefault(source, [])
            if hypnogram.is_applied(edit):
                wanted[source] = notes
        for source, notes in wanted.items():
            if self._shown.get(source, []) != notes:
                self.panel.replace_source(source, notes)
                self._shown[source] = notes
