"""The scoring state of the open recording as the window sees it: the hypnogram, its
persistence, and a Qt-free `Review` (backend.Review, core/review.py) that owns selection,
navigation and the edit loop. This class only turns the review's callbacks into Qt signals
the views draw, and snapshots the session after edits; it knows no widgets.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from sleepscorer.gui import backend
from sleepscorer.gui.time_axis import format_time
from sleepscorer.hypnogram import Edit, Hypnogram
from sleepscorer.stages import Stage

SNAPSHOT_DELAY_MS = 1500  # the whole state is written this long after edits stop


class ScoringSession(QObject):
    selectionChanged = Signal(int, int)  # noqa: N815  epochs [start, stop)
    centreRequested = Signal(float)  # noqa: N815  seconds to bring to the centre of the view
    revealRequested = Signal(float, float)  # noqa: N815  [t0, t1] to bring into view, if not
    labelsChanged = Signal(int, int)  # noqa: N815  epochs [start, stop) changed
    message = Signal(str)
    dirtyChanged = Signal(bool)  # noqa: N815  `dirty` turned true or false

    def __init__(self, recording, hypnogram: Hypnogram, journal: backend.Journal | None = None,
                 low_confidence: float = 0.6, parent: QObject | None = None, store=None):
        """`store`: the recording's PersistentSession (core/session_store.py), which
        journals every edit itself; `journal` is only for use without one."""
        super().__init__(parent)
        self.recording = recording
        self.hypnogram = hypnogram
        self.store = store
        self.journal = store.journal if store is not None else journal
        self.review = backend.Review(hypnogram=hypnogram, low_confidence=low_confidence)
        self.signal = store.meta.get("signal") if store is not None else None
        self.review.on_select = self.selectionChanged.emit
        self.review.on_centre = self.centreRequested.emit
        self.review.on_reveal = self.revealRequested.emit
        self.review.on_message = self.message.emit
        current = backend.person_labels_sha256(hypnogram)
        self._reference = current if store is None else store.exported_labels(
            current, bool(hypnogram.is_person_labelled().any()))
        self._was_dirty = self.dirty
        self._exported_here = False
        hypnogram.add_listener(self._changed)
        if journal is not None and store is None:
            journal.attach(hypnogram)
        self._snapshot = QTimer(self, singleShot=True, interval=SNAPSHOT_DELAY_MS)
        self._snapshot.timeout.connect(self.save)

    # -- basics -----------------------------------------------------------------------
    @property
    def signal(self) -> dict | None:
        """What the last scoring found wrong with the signal (the export's note column), kept
        with the session so an export after a reopen writes it too."""
        return self._signal

    @signal.setter
    def signal(self, signal: dict | None) -> None:
        self._signal = signal
        notes = backend.signal_notes(signal=signal, hypnogram=self.hypnogram) if signal else None
        self.notes = notes or []
        # epochs the signal check made Artifact are no model doubt: `N` does not stop there
        self.review.decided_by_signal = np.array([n.endswith(": Artifact") for n in notes],
                                                 bool) if notes else None

    @property
    def epoch_length(self) -> float:
        return self.review.epoch_length

    @property
    def n_epochs(self) -> int:
        return self.review.n_epochs

    def epoch_at(self, seconds: float) -> int:
        return self.review.epoch_at(seconds)

    @property
    def start(self) -> int:
        return self.review.start

    @property
    def stop(self) -> int:
        return self.review.stop

    @property
    def anchor(self) -> int:
        return self.review.anchor

    @property
    def low_confidence(self) -> float:
        return self.review.low_confidence

    @low_confidence.setter
    def low_confidence(self, value: float) -> None:
        self.review.low_confidence = value

    def _changed(self, start: int, stop: int) -> None:
        if self.store is not None:
            self._snapshot.start()
        self.labelsChanged.emit(start, stop)
        self._tell_dirty()

    def _tell_dirty(self) -> None:
        if self.dirty != self._was_dirty:
            self._was_dirty = not self._was_dirty
            self.dirtyChanged.emit(self._was_dirty)

    @property
    def dirty(self) -> bool:
        """A person's labels differ from the last export (or, never exported, from when the
        recording was opened), also across a reopen: the app's record remembers what went
        out. Model scoring is not a person's work, so it never makes the session dirty."""
        return backend.person_labels_sha256(self.hypnogram) != self._reference

    def mark_saved(self) -> str:
        """The labels were exported: what the app holds is unchanged (and still saved).
        Returns the hash of the person labels that went out."""
        self._reference = backend.person_labels_sha256(self.hypnogram)
        self._exported_here = True
        if self.store is None and self.journal is not None:
            self.journal.clear()
        self._tell_dirty()
        return self._reference

    @property
    def ever_exported(self) -> bool:
        """A copy of this recording's labels went out at some time (the close question
        says "since the last export" only then)."""
        exports = self.store.meta.get("exports") if self.store is not None else None
        return self._exported_here or bool(exports)

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

    # -- selection, navigation, labelling: the review's ------------------------------
    def position_text(self) -> str:
        """The status bar's readout of the selection: where, what, and who said so."""
        hyp, el, a, b = self.hypnogram, self.epoch_length, self.start, self.stop
        if b - a > 1:
            return (f"epochs {a}-{b - 1}  {format_time(a * el)}-{format_time(b * el)}  "
                    f"({(b - a) * el:g} s)")
        conf = hyp.confidence[a]
        source = ["none", "model", "you", "imported"][int(hyp.sources[a])]
        note = self.notes[a] if a < len(self.notes) else ""
        if source == "model" and note.endswith(": Artifact"):  # a rule, not the model's belief
            source, note = f"signal check: {note.removesuffix(': Artifact')}", ""
        elif source != "model":
            note = note.removesuffix(": Artifact")  # the person's label, the signal's problem
        return (f"epoch {a}  {format_time(a * el)}  {Stage(int(hyp.stages[a])).label} ({source}"
                + ("" if conf != conf or source != "model" else f", confidence {conf:.2f}")
                + (f"; {note}" if note else "") + ")")

    # Every selection made here is brought into view if it is not (a no-op for the mouse,
    # which selects what is shown): a stage key never labels what is out of view.
    def select(self, start: int, stop: int | None = None, centre: bool = False) -> None:
        self.review.select(start, stop, centre)
        self._reveal_selection()

    def click(self, seconds: float, extend: bool = False) -> None:
        self.review.click(seconds, extend)
        self._reveal_selection()

    def drag(self, t0: float, t1: float) -> None:
        self.review.drag(t0, t1)
        self._reveal_selection()

    def select_bout(self, seconds: float) -> None:
        self.review.select_bout(seconds)
        self._reveal_selection()

    def _reveal_selection(self) -> None:
        el = self.epoch_length
        self.review.on_reveal(self.start * el, self.stop * el)

    def step(self, delta: int, extend: bool = False) -> None:
        self.review.step(delta, extend)

    def page(self, direction: int, view: tuple[float, float]) -> tuple[float, float]:
        return self.review.page(direction, view)

    def go_to(self, seconds: float) -> None:
        self.review.go_to(seconds)

    def next_low_confidence(self, backward: bool = False) -> None:
        self.review.next_low_confidence(backward)

    def low_confidence_runs(self) -> int:
        return self.review.low_confidence_runs()

    def next_unscored(self) -> None:
        self.review.next_unscored()

    def next_in(self, mask: np.ndarray, what: str, backward: bool = False,
                none: str | None = None) -> None:
        self.review.next_in(mask, what, backward, none)

    def label(self, stage: Stage) -> None:
        self.review.label(stage)

    def confirm(self) -> None:
        self.review.confirm()

    def undo(self) -> None:
        self.review.undo()

    def redo(self) -> None:
        self.review.redo()

    def import_labels(self, other: Hypnogram, keep_mine: bool = False) -> Edit | None:
        return self.review.import_labels(other, keep_mine)
