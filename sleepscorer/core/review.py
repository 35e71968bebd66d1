"""Reviewing a hypnogram without Qt: what is selected, where `N` (next low-confidence run),
`U` (next unscored run) and `D` (next run of any mask, e.g. disagreements) go, and the edit
loop (label and advance, confirm, undo, redo, import) on that selection.

The GUI's `ScoringSession` owns one `Review` and only turns its callbacks into Qt signals
that the views draw; the tests drive it headless (tests/core/test_review.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sleepscorer.hypnogram import Edit, Hypnogram, Source
from sleepscorer.stages import Stage, mask_runs, span_text


def _nothing(*_args) -> None:
    pass


SHOWN_EDIT_MAX = 600  # epochs an undo or redo selects whole (a 10-min bout of 1-s epochs)


def overruled(hyp: Hypnogram, other: Hypnogram) -> int:
    """How many epochs you labelled here (expert) an import of `other` would relabel: asked
    before, as re-scoring asks (a user trial: six REM epochs became imported NREM unasked)."""
    if other.epoch_length != hyp.epoch_length:
        other = other.to_epoch_length(hyp.epoch_length)
    person, _ = import_parts(hyp, other)
    n = len(person)
    return int((person & (hyp.sources[:n] == Source.EXPERT)
                & (other.stages[:n] != hyp.stages[:n])).sum())


def import_parts(hyp: Hypnogram, other: Hypnogram) -> tuple[np.ndarray, np.ndarray]:
    """Masks over the first min(len) epochs (at `hyp`'s epoch length): where `other` holds a
    person's label, and where it holds a model's label over an epoch no person labelled in
    `hyp`.

    Why: our CSV says who set each label. Read as a person's, a model's exported scoring
    became labels that fine-tuning trains on, and overwrote an expert's corrections.
    """
    if other.epoch_length != hyp.epoch_length:
        other = other.to_epoch_length(hyp.epoch_length)
    n = min(len(hyp), len(other))
    labelled = other.stages[:n] != Stage.UNSCORED
    from_model = other.sources[:n] == Source.MODEL
    return labelled & ~from_model, labelled & from_model & ~hyp.is_person_labelled()[:n]


class Review:
    """Selection [start, stop) of epochs with an anchor (where Shift extends from), and the
    commands that move it or label it. What happens is told to the callbacks:

    - `on_select(start, stop)`: the selection changed
    - `on_centre(seconds)`: bring this time to the centre of the view
    - `on_reveal(t0, t1)`: bring [t0, t1] into view if it is not (never move it otherwise)
    - `on_message(text)`: a line for the status bar
    """

    def __init__(self, hypnogram: Hypnogram, low_confidence: float = 0.6):
        self.hypnogram = hypnogram
        self.low_confidence = low_confidence
        self.decided_by_signal: np.ndarray | None = None  # a rule's Artifact, not a doubt
        self.start, self.stop = 0, 1
        self.anchor = 0
        self.on_select: Callable[[int, int], None] = _nothing
        self.on_centre: Callable[[float], None] = _nothing
        self.on_reveal: Callable[[float, float], None] = _nothing
        self.on_message: Callable[[str], None] = _nothing

    # -- basics -----------------------------------------------------------------------
    @property
    def epoch_length(self) -> float:
        return self.hypnogram.epoch_length

    @property
    def n_epochs(self) -> int:
        return len(self.hypnogram)

    def epoch_at(self, seconds: float) -> int:
        return int(np.clip(seconds // self.epoch_length, 0, max(0, self.n_epochs - 1)))

    # -- selection --------------------------------------------------------------------
    def select(self, start: int, stop: int | None = None, centre: bool = False) -> None:
        if self.n_epochs == 0:
            return
        stop = start + 1 if stop is None else stop
        start, stop = sorted((int(start), int(stop)))
        start = int(np.clip(start, 0, self.n_epochs - 1))
        stop = int(np.clip(max(stop, start + 1), 1, self.n_epochs))
        self.start, self.stop = start, stop
        self.on_select(start, stop)
        if centre:
            self.on_centre((start + stop) / 2 * self.epoch_length)

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

    def page(self, direction: int, view: tuple[float, float]) -> tuple[float, float]:
        """The next (previous) window: the view `view` = (t0, t1) moves by its own width, so no
        second goes unseen, and its first whole epoch is selected. Returns the new view.

        Why: paging from the selection skipped 14.5 s when the selection sat at the view's
        edge, and moved half a window when it sat at its start."""
        t0, t1 = view
        width = t1 - t0
        duration = self.n_epochs * self.epoch_length
        t0 = min(max(0.0, t0 + direction * width), max(0.0, duration - width))
        epoch = min(self.n_epochs - 1, int(np.ceil(t0 / self.epoch_length - 1e-9)))
        self.anchor = epoch
        self.select(epoch)
        return t0, t0 + width

    def go_to(self, seconds: float) -> None:
        epoch = self.epoch_at(seconds)
        self.anchor = epoch
        self.select(epoch, centre=True)
        end = self.n_epochs * self.epoch_length
        if seconds >= end:  # said, not silently clamped
            self.on_message(f"{seconds:g} s is past the end of the recording ({end:g} s): "
                            "went to its last epoch")

    # -- navigation -------------------------------------------------------------------
    def next_in(self, mask: np.ndarray, what: str, backward: bool = False,
                none: str | None = None) -> None:
        """Select the next (previous) run of consecutive epochs where `mask` holds, whole,
        wrapping once: a run of 40 uncertain epochs is one stop, not 40. `none`: the message
        when there is no such run (default "no {what} epochs")."""
        mask = np.asarray(mask, bool)
        if not mask.any():
            self.on_message(none or f"no {what} epochs")
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
        self.on_message(f"{what}: {span_text(a, b)} (run {i + 1} of {len(starts)})")

    def low_confidence_mask(self) -> np.ndarray:
        """Model-scored epochs below the low-confidence threshold (where `N` stops), less
        those the signal check made Artifact (`decided_by_signal`): a flat electrode's 500
        epochs buried the model's real doubts."""
        hyp = self.hypnogram
        mask = (hyp.sources == Source.MODEL) & (hyp.confidence < self.low_confidence)
        gated = self.decided_by_signal
        if gated is not None and len(gated) == len(mask):
            mask &= ~gated
        return mask

    def next_low_confidence(self, backward: bool = False) -> None:
        self.next_in(self.low_confidence_mask(),
                     f"model epochs below {self.low_confidence:.0%} confidence", backward,
                     none=f"no model epoch is below {self.low_confidence:.0%} confidence")

    def low_confidence_runs(self) -> int:
        """How many stops `N` makes through the whole recording."""
        return len(mask_runs(self.low_confidence_mask()))

    def next_unscored(self) -> None:
        self.next_in(self.hypnogram.stages == Stage.UNSCORED, "unscored")

    # -- the edit loop ------------------------------------------------------------------
    def label(self, stage: Stage) -> None:
        """Label the selection; a single epoch then advances to the next one."""
        single = self.stop - self.start == 1
        self.hypnogram.set_stage(self.start, self.stop, stage)
        if single and self.stop < self.n_epochs:  # advance, but never move the view
            epoch = self.stop
            self.anchor = epoch
            self.select(epoch)
            self.on_reveal(epoch * self.epoch_length, (epoch + 1) * self.epoch_length)

    def confirm(self) -> None:
        if self.hypnogram.confirm(self.start, self.stop) is None:
            self.on_message("nothing to confirm in the selection")
        else:
            self.on_message(f"confirmed {span_text(self.start, self.stop)}")

    def _show_edit(self, edit: Edit | None, verb: str, done: str) -> None:
        """Select what the edit changed, so the view follows it; an edit longer than
        `SHOWN_EDIT_MAX` epochs (an import spans the recording) leaves only its first changed
        epoch selected: a stage key pressed next relabelled all 1800 epochs of a file."""
        if edit is None:
            self.on_message(f"nothing to {verb}")
            return
        changed = np.flatnonzero((edit.old_stages != edit.new_stages)
                                 | (edit.old_sources != edit.new_sources))
        a = edit.start + (int(changed[0]) if len(changed) else 0)
        b = edit.start + (int(changed[-1]) + 1 if len(changed) else len(edit.new_stages))
        self.anchor = a
        if b - a <= SHOWN_EDIT_MAX:
            self.select(a, b, centre=True)
            self.on_message(f"{done}: {edit.description}")
            return
        self.select(a, centre=True)
        self.on_message(f"{done}: {edit.description} ({len(changed)} epochs changed, "
                        f"{span_text(a, b)}; the first is selected)")

    def undo(self) -> None:
        self._show_edit(self.hypnogram.undo(), "undo", "undone")

    def redo(self) -> None:
        self._show_edit(self.hypnogram.redo(), "redo", "redone")

    def import_labels(self, other: Hypnogram, keep_mine: bool = False) -> Edit | None:
        """Take `other`'s labels in one edit (see `import_parts`): a person's become imported
        labels, a model's fill only epochs no person labelled here, as model labels. With
        `keep_mine`, epochs you labelled here (expert) keep your label."""
        hyp = self.hypnogram
        if other.epoch_length != hyp.epoch_length:
            other = other.to_epoch_length(hyp.epoch_length)
        person, model = import_parts(hyp, other)
        if keep_mine:
            person &= hyp.sources[:len(person)] != Source.EXPERT
        n = len(person)
        stages, sources, conf = hyp.stages.copy(), hyp.sources.copy(), hyp.confidence.copy()
        stages[:n][person | model] = other.stages[:n][person | model]
        sources[:n][person] = Source.IMPORTED
        conf[:n][person] = np.nan
        sources[:n][model] = Source.MODEL
        conf[:n][model] = other.confidence[:n][model]
        return hyp.replace(0, stages, sources, conf, "import labels")
