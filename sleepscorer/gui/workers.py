"""Long work off the GUI thread: loading a recording (plus its display pyramids and
spectrogram) and automatic scoring, napari-style.

A `Task` runs a plain function in a superqt worker; the function reports progress through
the task (`report(done, total)`, `say(text)`) and checks `task.cancelled`. The GUI only
connects to the signals `progress`, `status`, `returned`, `errored` and `finished`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker

from sleepscorer.core.display import MinMaxPyramid, Spectrogram, spectrogram
from sleepscorer.errors import Cancelled
from sleepscorer.gui import backend


class Task(QObject):
    """One piece of background work with progress, ETA and cancel."""

    progress = Signal(int, int)  # done, total (emitted from the worker thread)
    status = Signal(str)
    returned = Signal(object)
    errored = Signal(object)  # the exception
    finished = Signal()

    def __init__(self, name: str, func: Callable, *args, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._cancel = threading.Event()
        self.started_at = 0.0
        self.running = False
        self._worker = create_worker(func, *args, self, _start_thread=False,
                                     _ignore_errors=True)  # we handle `errored`
        self._worker.returned.connect(self.returned.emit)
        self._worker.errored.connect(self.errored.emit)
        self._worker.finished.connect(self._done)

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.running = True
        self._worker.start()

    def _done(self) -> None:
        self.running = False
        self.finished.emit()

    # -- called from the worker thread ----------------------------------------------
    def report(self, done: int, total: int) -> None:
        self.progress.emit(int(done), int(total))

    def say(self, text: str) -> None:
        self.status.emit(text)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    # -- called from the GUI ------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def eta_s(self, done: int, total: int) -> float | None:
        if done <= 0 or total <= 0 or done > total:
            return None
        elapsed = time.monotonic() - self.started_at
        return elapsed * (total - done) / done


@dataclass
class LoadedRecording:
    """A recording with everything the views precompute for it."""

    recording: object  # sleepscorer.io.recording.Recording
    epoch_length: float
    pyramids: dict[str, MinMaxPyramid]
    spectrogram: Spectrogram | None  # EEG power in 4-s windows, 1-s steps


def prepare_recording(path: str | Path, roles: dict | None, epoch_length: float,
                      task: Task) -> LoadedRecording:
    """Read the file, then build decimation pyramids and the EEG spectrogram."""
    task.say(f"reading {Path(path).name}")
    task.report(0, 0)
    recording = backend.load_recording(path, roles=roles)
    task.check()
    return prepare_loaded(recording, epoch_length, task)


def prepare_loaded(recording, epoch_length: float, task: Task | None = None) -> LoadedRecording:
    pyramids = {}
    channels = recording.channels
    for i, channel in enumerate(channels):
        if task is not None:
            task.say(f"preparing display of {channel.name}")
            task.report(i, len(channels) + 1)
            task.check()
        pyramids[channel.name] = MinMaxPyramid(channel.data, channel.rate)
    power = None
    eeg = recording.eeg
    if eeg is not None:
        if task is not None:
            task.say("computing EEG spectrogram")
            task.report(len(channels), len(channels) + 1)
        power = spectrogram(eeg.data, eeg.rate)
    return LoadedRecording(recording, epoch_length, pyramids, power)


def run_scoring(recording, epoch_length: float, modality: str, *args):
    """Automatic scoring through `backend.score` with the model file `weights` (None: the
    bundled one); returns its ScoreResult. Called as (..., modality, [weights,
    [rem_from_wake, [lab_gate,]]] task)."""
    *rest, task = args
    weights = rest[0] if rest else None
    rem_from_wake = bool(rest[1]) if len(rest) > 1 else False
    lab_gate = bool(rest[2]) if len(rest) > 2 else True
    task.say("starting the model")
    device = backend.device_name("auto")
    task.say(f"scoring on {device}")
    extra = ({"rem_rule": None} if rem_from_wake else {}) | ({} if lab_gate else
                                                             {"lab_gate": False})
    result = backend.score(recording, weights=weights, modality=modality, device="auto",
                           progress=task.report, cancel=task.cancelled,
                           epoch_length=epoch_length, **extra)
    task.check()
    try:  # provenance for the saved session: which model file scored
        result.model_sha256 = backend.model_sha256(weights)
    except AttributeError:
        pass
    return result
