"""The one error family shown to users: a file, what is wrong with it, and what to do."""

from __future__ import annotations

from pathlib import Path


class SleepScorerError(Exception):
    """A problem a scientist can act on. Shown as `error: PATH: problem`, never as a traceback."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path is not None else self.problem


class RecordingError(SleepScorerError):
    """A recording cannot be read or is unusable for scoring."""


class RateNeeded(RecordingError):
    """A table of samples that does not say its sampling rate: the CLI asks for --rate, the
    app asks in a dialog."""


class LabelsError(SleepScorerError):
    """A label file cannot be read, or does not fit its recording."""


class ModelError(SleepScorerError):
    """Weights or a model card are missing, corrupt or do not fit the request."""


class VideoError(SleepScorerError):
    """A video cannot be read: not a video, no video stream, or damaged."""


class Cancelled(Exception):
    """Raised inside long work when the user cancelled; not an error."""
