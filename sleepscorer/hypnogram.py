"""The labels of one recording: a stage, confidence and source per epoch, with undo.

Bottom layer (beside `stages` and `errors`): `io` reads and writes it, `core`, `model` and
the shells work on it. Imports only numpy and `sleepscorer.stages`.

Every change is an `Edit` holding only the changed slice, so undo/redo is unlimited and
cheap on 24 h recordings. Model output never overwrites an expert's label unless asked.
Must not import Qt: the GUI listens through `add_listener`, and whoever keeps the history
(core/edit_history.py) through `add_history_listener`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sleepscorer.epoch_windows import coarsen, mean_probabilities
from sleepscorer.stages import (
    BASE_EPOCH,
    EXPORT_EPOCH_LENGTHS,
    LABEL_DTYPE,
    Stage,
    grid_ratio,
    runs,
    span_text,
)

COARSER_EPOCH_LENGTHS = EXPORT_EPOCH_LENGTHS  # the old name

__all__ = ["COARSER_EPOCH_LENGTHS", "Edit", "Hypnogram", "Source"]


class Source(IntEnum):
    NONE = 0
    MODEL = 1
    EXPERT = 2
    IMPORTED = 3  # read from a label file: a person's labels, trusted like an expert's

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Edit:
    """One undoable change: epochs [start, start+len) before and after."""

    start: int
    old_stages: np.ndarray
    new_stages: np.ndarray
    old_sources: np.ndarray
    new_sources: np.ndarray
    old_confidence: np.ndarray
    new_confidence: np.ndarray
    description: str = ""

    @property
    def stop(self) -> int:
        return self.start + len(self.new_stages)


class Hypnogram:
    """Per-epoch labels of one recording (epoch_length seconds each)."""

    def __init__(self, n_epochs: int, epoch_length: float = BASE_EPOCH):
        self.epoch_length = float(epoch_length)
        self.stages = np.full(n_epochs, Stage.UNSCORED, dtype=LABEL_DTYPE)
        self.sources = np.full(n_epochs, Source.NONE, dtype=np.int8)
        self.confidence = np.full(n_epochs, np.nan, dtype=np.float32)
        self.probabilities: np.ndarray | None = None  # (n_epochs, n_classes) from the model
        self.classes: tuple[Stage, ...] = ()
        self.warnings: list[str] = []  # problems found when reading labels (padding, codes...)
        # set by a label reader: False for a file that does not say how long its epochs are
        # (AccuSleep, .mat); and if such a file is too short for its recording, the epoch
        # length at which it would cover it
        self.recorded_epoch_length = True
        self.covering_epoch_length: float | None = None
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        self._listeners: list[Callable[[int, int], None]] = []
        self._history_listeners: list[Callable[[str, Edit | None], None]] = []

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_arrays(cls, stages: Sequence[int] | np.ndarray, epoch_length: float = BASE_EPOCH,
                    source: Source = Source.IMPORTED, confidence: np.ndarray | None = None,
                    sources: np.ndarray | None = None) -> Hypnogram:
        stages = np.asarray(stages, dtype=LABEL_DTYPE)
        hyp = cls(len(stages), epoch_length)
        hyp.stages[:] = stages
        if sources is not None:
            hyp.sources[:] = sources
        else:
            hyp.sources[:] = np.where(stages == Stage.UNSCORED, Source.NONE, source)
        if confidence is not None:
            hyp.confidence[:] = confidence
        return hyp

    def snapshot(self) -> Hypnogram:
        """The labels, sources, confidences and probabilities with no history or listeners:
        what an export writes or a worker reads is a copy, never the live record."""
        out = Hypnogram.from_arrays(self.stages.copy(), self.epoch_length,
                                    sources=self.sources.copy(), confidence=self.confidence.copy())
        if self.probabilities is not None:
            out.probabilities = self.probabilities.copy()
        out.classes = tuple(self.classes)
        out.warnings = list(self.warnings)
        return out

    def __len__(self) -> int:
        return len(self.stages)

    @property
    def onsets_s(self) -> np.ndarray:
        return np.arange(len(self)) * self.epoch_length

    def is_person_labelled(self) -> np.ndarray:
        """Epochs whose label a person set (expert edits or imported labels)."""
        return (self.sources == Source.EXPERT) | (self.sources == Source.IMPORTED)

    # -- listeners --------------------------------------------------------------------
    def add_listener(self, callback: Callable[[int, int], None]) -> None:
        """Called with (start, stop) after every change, undo and redo."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[int, int], None]) -> None:
        self._listeners.remove(callback)

    def _notify(self, start: int, stop: int) -> None:
        for callback in list(self._listeners):
            callback(start, stop)

    def add_history_listener(self, callback: Callable[[str, Edit | None], None]) -> None:
        """Called after the labels' listeners with ("do" | "undo" | "redo", edit) for each
        step, and with ("reset", None) when the history itself was rewritten."""
        self._history_listeners.append(callback)

    def remove_history_listener(self, callback: Callable[[str, Edit | None], None]) -> None:
        self._history_listeners.remove(callback)

    def _tell_history(self, step: str, edit: Edit | None = None) -> None:
        for callback in list(self._history_listeners):
            callback(step, edit)

    # -- edits ------------------------------------------------------------------------
    def _apply(self, edit: Edit, forward: bool) -> None:
        sl = slice(edit.start, edit.stop)
        self.stages[sl] = edit.new_stages if forward else edit.old_stages
        self.sources[sl] = edit.new_sources if forward else edit.old_sources
        self.confidence[sl] = edit.new_confidence if forward else edit.old_confidence
        self._notify(edit.start, edit.stop)

    def _commit(self, start: int, new_stages: np.ndarray, new_sources: np.ndarray,
                new_confidence: np.ndarray, description: str) -> Edit | None:
        stop = start + len(new_stages)
        sl = slice(start, stop)
        if (np.array_equal(self.stages[sl], new_stages)
                and np.array_equal(self.sources[sl], new_sources)
                and np.array_equal(self.confidence[sl], new_confidence, equal_nan=True)):
            return None
        edit = Edit(start, self.stages[sl].copy(), new_stages.astype(LABEL_DTYPE),
                    self.sources[sl].copy(), new_sources.astype(np.int8),
                    self.confidence[sl].copy(), new_confidence.astype(np.float32), description)
        self._undo.append(edit)
        self._redo.clear()
        self._apply(edit, forward=True)
        self._tell_history("do", edit)
        return edit

    def replace(self, start: int, stages: np.ndarray, sources: np.ndarray,
                confidence: np.ndarray, description: str) -> Edit | None:
        """Set epochs [start, start+len(stages)) to these stages, sources and confidences in
        one undoable step (restoring a journal, importing labels).

        Only the span that actually differs becomes the edit, so undo stays cheap on 24 h.
        Returns the edit, or None if nothing changed.
        """
        stages = np.asarray(stages, LABEL_DTYPE)
        sources = np.asarray(sources, np.int8)
        confidence = np.asarray(confidence, np.float32)
        if not len(stages) == len(sources) == len(confidence):
            raise ValueError("stages, sources and confidence must have the same length")
        start = int(start)
        if start < 0 or start + len(stages) > len(self):
            raise ValueError(f"epochs {start}-{start + len(stages) - 1} are outside the "
                             f"hypnogram's {len(self)} epochs")
        sl = slice(start, start + len(stages))
        old_conf = self.confidence[sl]
        differs = ((stages != self.stages[sl]) | (sources != self.sources[sl])
                   | ~((confidence == old_conf) | (np.isnan(confidence) & np.isnan(old_conf))))
        changed = np.flatnonzero(differs)
        if len(changed) == 0:
            return None
        a, b = int(changed[0]), int(changed[-1]) + 1
        return self._commit(start + a, stages[a:b], sources[a:b], confidence[a:b], description)

    def set_stage(self, start: int, stop: int, stage: Stage,
                  source: Source = Source.EXPERT) -> Edit | None:
        """A person labels epochs [start, stop). Returns the edit, or None if nothing changed."""
        start, stop = max(0, int(start)), min(len(self), int(stop))
        if stop <= start:
            return None
        n = stop - start
        src = Source.NONE if stage == Stage.UNSCORED else source
        return self._commit(start, np.full(n, stage), np.full(n, src),
                            np.full(n, np.nan, dtype=np.float32),
                            f"{Stage(stage).label} for {span_text(start, stop)}")

    def apply_model(self, probabilities: np.ndarray, classes: Sequence[Stage],
                    overwrite_person: bool = False, start: int = 0) -> Edit | None:
        """Take model output for epochs [start, start+len(probabilities)).

        Epochs a person labelled keep their label unless `overwrite_person`.
        """
        probabilities = np.asarray(probabilities, dtype=np.float32)
        n = len(probabilities)
        stop = min(len(self), start + n)
        probabilities = probabilities[: stop - start]
        class_codes = np.asarray([int(c) for c in classes], dtype=LABEL_DTYPE)
        predicted = class_codes[np.argmax(probabilities, axis=1)]
        confidence = probabilities.max(axis=1)
        sl = slice(start, stop)
        keep = np.zeros(stop - start, bool) if overwrite_person else self.is_person_labelled()[sl]
        new_stages = np.where(keep, self.stages[sl], predicted)
        new_sources = np.where(keep, self.sources[sl], Source.MODEL)
        new_conf = np.where(keep, self.confidence[sl], confidence)
        if self.probabilities is None or self.probabilities.shape != (len(self), len(classes)):
            self.probabilities = np.full((len(self), len(classes)), np.nan, dtype=np.float32)
        self.probabilities[sl] = probabilities
        self.classes = tuple(Stage(int(c)) for c in classes)
        edit = self._commit(start, new_stages, new_sources, new_conf, "automatic scoring")
        if edit is not None and self._undo[-1] is edit and self._first_scoring(edit):
            # a first scoring only filled gaps: undoing it would only empty the hypnogram (a
            # Ctrl+Z too many after a failed import did, and the session saved it so), or,
            # after labels typed while it ran, undo all of it instead of the last label
            self._undo.pop()
            self._model_under(start, predicted, confidence)
            self._tell_history("reset")
        return edit

    @staticmethod
    def _first_scoring(edit: Edit) -> bool:
        """No model label was there before, and every epoch it changed was unlabelled."""
        changed = (edit.old_stages != edit.new_stages) | (edit.old_sources != edit.new_sources)
        return not (edit.old_sources == Source.MODEL).any() and \
            bool((edit.old_sources[changed] == Source.NONE).all())

    def _model_under(self, start: int, predicted: np.ndarray, confidence: np.ndarray) -> None:
        """A first scoring taken out of the undo history counts as done before the edits still
        in it: undoing a label typed while it ran gives back the model's label, not Unscored."""
        stop = start + len(predicted)
        for edit in self._undo:
            a, b = max(edit.start, start), min(edit.stop, stop)
            if a >= b:
                continue
            sl = slice(a - edit.start, b - edit.start)
            gap = edit.old_sources[sl] == Source.NONE
            edit.old_stages[sl][gap] = predicted[a - start:b - start][gap]
            edit.old_sources[sl][gap] = Source.MODEL
            edit.old_confidence[sl][gap] = confidence[a - start:b - start][gap]

    def confirm(self, start: int, stop: int) -> Edit | None:
        """A person checked model labels in [start, stop) and agrees: they become expert labels."""
        sl = slice(max(0, start), min(len(self), stop))
        scored = self.stages[sl] != Stage.UNSCORED
        new_sources = np.where(scored, Source.EXPERT, self.sources[sl])
        new_conf = np.where(scored, np.nan, self.confidence[sl]).astype(np.float32)
        return self._commit(sl.start, self.stages[sl].copy(), new_sources, new_conf,
                            f"confirm {span_text(sl.start, sl.stop)}")

    # -- undo / redo ------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def history(self) -> tuple[list[Edit], list[Edit]]:
        """(undo steps oldest first, redo steps with the next redo last): copies of the lists."""
        return list(self._undo), list(self._redo)

    def set_history(self, undo: Sequence[Edit], redo: Sequence[Edit] = ()) -> None:
        """Put back a history kept elsewhere (the labels must already be its end state)."""
        self._undo, self._redo = list(undo), list(redo)
        self._tell_history("reset")

    def is_applied(self, edit: Edit) -> bool:
        """Whether `edit` is in effect (done or redone, not undone)."""
        return any(e is edit for e in self._undo)

    def undo(self) -> Edit | None:
        if not self._undo:
            return None
        edit = self._undo.pop()
        self._redo.append(edit)
        self._apply(edit, forward=False)
        self._tell_history("undo", edit)
        return edit

    def redo(self) -> Edit | None:
        if not self._redo:
            return None
        edit = self._redo.pop()
        self._undo.append(edit)
        self._apply(edit, forward=True)
        self._tell_history("redo", edit)
        return edit

    # -- queries ----------------------------------------------------------------------
    def bout_at(self, epoch: int) -> tuple[int, int]:
        """[start, stop) of the run of equal stages containing `epoch`."""
        stage = self.stages[epoch]
        start = epoch
        while start > 0 and self.stages[start - 1] == stage:
            start -= 1
        stop = epoch + 1
        while stop < len(self) and self.stages[stop] == stage:
            stop += 1
        return start, stop

    def bouts(self) -> list[tuple[int, int, Stage]]:
        """Runs of equal stage as (start, stop, stage)."""
        values, starts, stops = runs(self.stages)
        return [(int(a), int(b), Stage(int(v))) for v, a, b in zip(values, starts, stops, strict=True)]

    def next_epoch(self, after: int, mask: np.ndarray) -> int | None:
        """First epoch > after where mask is true (wrapping once), or None."""
        hits = np.flatnonzero(mask)
        if len(hits) == 0:
            return None
        later = hits[hits > after]
        return int(later[0]) if len(later) else int(hits[0])

    # -- epoch length -----------------------------------------------------------------
    def to_epoch_length(self, epoch_length: float, n_epochs: int | None = None) -> Hypnogram:
        """These labels at another epoch length, by `sleepscorer.epoch_windows` (the one rule
        of the CLI's scoring and of every export): a person's windows by majority vote (ties:
        the stage that comes first in time), the model's by its mean probabilities, which the
        result keeps; a mostly unscored window stays unscored, so it never becomes Wake.
        `n_epochs` (default: the whole windows) may add a last window the labels end inside
        (a recording's part second the model does not read): its last label carries on."""
        refine, k = grid_ratio(self.epoch_length, epoch_length)
        fine = self._refine(refine) if refine > 1 else self  # 1 s -> 2.5 s goes through 0.5 s
        n = len(fine) // k if n_epochs is None else int(n_epochs)
        probs = None
        if self.probabilities is not None and len(self.classes) \
                and self.probabilities.shape == (len(self), len(self.classes)):
            probs = mean_probabilities(self.probabilities, epoch_length / self.epoch_length, n)
        pad = max(0, n * k - len(fine)) if len(fine) else 0
        arrays = (np.pad(a, (0, pad), mode="edge") for a in (fine.stages, fine.sources,
                                                             fine.confidence))
        stages, sources, confidence = coarsen(*arrays, k, probs, self.classes)
        out = Hypnogram.from_arrays(stages, epoch_length, sources=sources, confidence=confidence)
        if probs is not None:
            out.probabilities, out.classes = probs[:len(out)], tuple(self.classes)
        return out

    def _refine(self, k: int) -> Hypnogram:
        out = Hypnogram.from_arrays(np.repeat(self.stages, k), self.epoch_length / k,
                                    sources=np.repeat(self.sources, k))
        out.confidence[:] = np.repeat(self.confidence, k)
        return out
