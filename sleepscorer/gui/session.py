"""The scoring state of the open recording as the window sees it: hypnogram, selection,
navigation and labelling commands. Views listen to its signals; it knows no widgets.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from sleepscorer.gui import backend
from sleepscorer.hypnogram import Edit, Hypnogram, Source
from sleepscorer.stages import Stage, mask_runs

SNAPSHOT_DELAY_MS = 1500  # the whole state is written this long after edits stop


class ScoringSession(QObject):
    selectionChanged = Signal(int, int)  # noqa: N815  epochs [start, stop)
    centreRequested = Signal(float)  # noqa: N815  seconds to bring to the centre of the view
    revealRequested = Signal(float, float)  # noqa: N815  [t0, t1] to bring into view, if not
    labelsChanged = Signal(int, int)  # noqa: N815  epochs [start, stop) changed
    message = Signal(str)

    def __init__(self, recording, hypnogram: Hypnogram, journal: backend.Journal | None = None,
                 low_confidence: float = 0.6, parent: QObject | None = None, store=None):
        """`store`: the recording's PersistentSession (core/session_store.py), which
        journals every edit itself; `journal` is only for use without one."""
        super().__init__(parent)
        self.recording = recording
        self.hypnogram = hypnogram
        self.store = store
        self.journal = store.journal if store is not None else journal
        self.low_confidence = low_confidence
        self.start, self.stop = 0, 1
        self.anchor = 0
        self._reference = self._person_state()
        hypnogram.add_listener(self._changed)
        if journal is not None and store is None:
            journal.attach(hypnogram)
        self._snapshot = QTimer(self, singleShot=True, interval=SNAPSHOT_DELAY_MS)
        self._snapshot.timeout.connect(self.save)

    # -- basics -----------------------------------------------------------------------
    @property
    def epoch_length(self) -> float:
        return self.hypnogram.epoch_length

    @property
    def n_epochs(self) -> int:
        return len(self.hypnogram)

    def epoch_at(self, seconds: float) -> int:
        return int(np.clip(seconds // self.epoch_length, 0, max(0, self.n_epochs - 1)))

    def _changed(self, start: int, stop: int) -> None:
        if self.store is not None:
            self._snapshot.start()
        self.labelsChanged.emit(start, stop)

    def _person_state(self) -> tuple[np.ndarray, np.ndarray]:
        hyp = self.hypnogram
        person = hyp.is_person_labelled()
        return person, np.where(person, hyp.stages, -1)

    @property
    def dirty(self) -> bool:
        """A person's labels differ from when the recording was opened or last exported.

        Model scoring is not a person's work, so it never makes the session dirty."""
        person, stages = self._person_state()
        ref_person, ref_stages = self._reference
        return not (np.array_equal(person, ref_person) and np.array_equal(stages, ref_stages))

    def mark_saved(self) -> None:
        """The labels were exported: what the app holds is unchanged (and still saved)."""
        self._reference = self._person_state()
        if self.store is None and self.journal is not None:
            self.journal.clear()

    def save(self) -> None:
        """Write the whole state to the persistent session now (edits are journalled at
        once anyway)."""
        self._snapshot.stop()
        if self.store is not None:
            try:
                self.store.save()
            except OSError as exc:
                self.message.emit(f"could not save the session ({exc}); edits are still "
                                  "journalled")

    def close(self) -> None:
        self.hypnogram.remove_listener(self._changed)
        if self.store is not None:
            self.save()
            self.store.detach()

    # -- selection --------------------------------------------------------------------
    def select(self, start: int, stop: int | None = None, centre: bool = False) -> None:
        if self.n_epochs == 0:
            return
        stop = start + 1 if stop is None else stop
        start, stop = sorted((int(start), int(stop)))
        start = int(np.clip(start, 0, self.n_epochs - 1))
        stop = int(np.clip(max(stop, start + 1), 1, self.n_epochs))
        self.start, self.stop = start, stop
        self.selectionChanged.emit(start, stop)
        if centre:
            self.centreRequested.emit((start + stop) / 2 * self.epoch_length)

    def click(self, seconds: float, extend: bool = False) -> None:
        epoch = self.epoch_at(seconds)
        if extend:
            self.select(min(self.anchor, epoch), max(self.anchor, epoch) + 1)
        else:
            self.anchor = epoch
            self.select(epoch)

    def drag(self, t0: float, t1: float) -> None:
        a, b = self.epoch_at(t0), self.epoch_at(t1)
        self.anchor = a
        self.select(a, b + 1)

    def select_bout(self, seconds: float) -> None:
        a, b = self.hypnogram.bout_at(self.epoch_at(seconds))
        self.anchor = a
        self.select(a, b)

    def step(self, delta: int, extend: bool = False) -> None:
        """Move the selected epoch (or grow the selection with Shift) and keep it centred."""
        if extend:
            edge = self.stop - 1 if self.start == self.anchor else self.start
            edge = int(np.clip(edge + delta, 0, self.n_epochs - 1))
            self.select(min(self.anchor, edge), max(self.anchor, edge) + 1, centre=True)
            return
        epoch = (self.stop - 1 if delta > 0 else self.start) + delta
        epoch = int(np.clip(epoch, 0, self.n_epochs - 1))
        self.anchor = epoch
        self.select(epoch, centre=True)

    def page(self, direction: int, window_s: float) -> None:
        self.step(direction * max(1, int(round(window_s / self.epoch_length))))

    def go_to(self, seconds: float) -> None:
        epoch = self.epoch_at(seconds)
        self.anchor = epoch
        self.select(epoch, centre=True)

    def _jump(self, mask: np.ndarray, what: str, backward: bool = False) -> None:
        """Select the next (previous) run of consecutive epochs where `mask` holds, whole,
        wrapping once: a run of 40 uncertain epochs is one stop, not 40."""
        mask = np.asarray(mask, bool)
        if not mask.any():
            self.message.emit(f"no {what} epochs")
            return
        starts, stops = (np.array(side) for side in zip(*mask_runs(mask), strict=True))
        if backward:
            earlier = np.flatnonzero(stops <= self.start)
            i = int(earlier[-1]) if len(earlier) else len(starts) - 1
        else:
            later = np.flatnonzero(starts >= self.stop)
            i = int(later[0]) if len(later) else 0
        a, b = int(starts[i]), int(stops[i])
        self.anchor = a
        self.select(a, b, centre=True)
        self.message.emit(f"{what}: epochs {a}-{b - 1} (run {i + 1} of {len(starts)})")

    def next_low_confidence(self, backward: bool = False) -> None:
        hyp = self.hypnogram
        mask = (hyp.sources == Source.MODEL) & (hyp.confidence < self.low_confidence)
        self._jump(mask, f"model epochs below {self.low_confidence:.0%} confidence", backward)

    def low_confidence_runs(self) -> int:
        """How many stops `N` makes through the whole recording."""
        hyp = self.hypnogram
        mask = ((hyp.sources == Source.MODEL) & (hyp.confidence < self.low_confidence))
        return len(mask_runs(mask))

    def next_unscored(self) -> None:
        self._jump(self.hypnogram.stages == Stage.UNSCORED, "unscored")

    def next_in(self, mask: np.ndarray, what: str, backward: bool = False) -> None:
        """Jump run by run through any per-epoch mask (e.g. disagreements with a second
        labels file)."""
        self._jump(mask, what, backward)

    # -- labelling --------------------------------------------------------------------
    def label(self, stage: Stage) -> None:
        """Label the selection; a single epoch then advances to the next one."""
        single = self.stop - self.start == 1
        self.hypnogram.set_stage(self.start, self.stop, stage)
        if single and self.stop < self.n_epochs:  # advance, but never move the view
            epoch = self.stop
            self.anchor = epoch
            self.select(epoch)
            self.revealRequested.emit(epoch * self.epoch_length,
                                      (epoch + 1) * self.epoch_length)

    def confirm(self) -> None:
        if self.hypnogram.confirm(self.start, self.stop) is None:
            self.message.emit("nothing to confirm in the selection")
        else:
            self.message.emit(f"confirmed epochs {self.start}-{self.stop - 1}")

    def _show_edit(self, edit: Edit | None, verb: str) -> None:
        if edit is None:
            self.message.emit(f"nothing to {verb}")
            return
        self.anchor = edit.start
        self.select(edit.start, edit.stop, centre=True)
        self.message.emit(f"{verb}: {edit.description}")

    def undo(self) -> None:
        self._show_edit(self.hypnogram.undo(), "undo")

    def redo(self) -> None:
        self._show_edit(self.hypnogram.redo(), "redo")

    def import_labels(self, other: Hypnogram) -> Edit | None:
        """Take every labelled epoch of `other` as imported (a person's) labels, one edit."""
        hyp = self.hypnogram
        if other.epoch_length != hyp.epoch_length:
            other = other.to_epoch_length(hyp.epoch_length)
        n = min(len(hyp), len(other))
        stages, sources, conf = hyp.stages.copy(), hyp.sources.copy(), hyp.confidence.copy()
        labelled = other.stages[:n] != Stage.UNSCORED
        stages[:n][labelled] = other.stages[:n][labelled]
        sources[:n][labelled] = Source.IMPORTED
        conf[:n][labelled] = np.nan
        return hyp.replace(0, stages, sources, conf, "import labels")
