"""Long work off the GUI thread, napari-style: the one way the GUI runs background work
(loading a recording with its display pyramids and spectrogram, listing models, scoring,
exporting corrections, fine-tuning, statistics of long recordings, importing torch at start).

A `Task` runs a plain function in a superqt worker, calling it with keyword arguments and
`task=` the task itself. The function reports through one progress protocol,
`task.report(done, total, text=None)` (`Progress`; total 0: no count for this step, text:
what it does now), and stops when `task.cancelled()` turns true (`task.check()` raises
`Cancelled`). The GUI cancels with `task.cancel()` and connects to the signals `progress`,
`status`, `returned`, `finished` and `errored`, the one error hook (the exception, a
`Cancelled` included).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QThreadPool, Signal
from superqt.utils import create_worker

from sleepscorer.errors import Cancelled
from sleepscorer.gui import backend


class Progress(Protocol):
    """The progress protocol of every background function (and of `backend.score`'s
    `progress`, which passes no text)."""

    def __call__(self, done: int, total: int, text: str | None = None) -> None: ...


class Task(QObject):
    """One piece of background work with progress, ETA and cancel."""

    progress = Signal(int, int)  # done, total (emitted from the worker thread)
    status = Signal(str)
    returned = Signal(object)
    errored = Signal(object)  # the exception
    finished = Signal()

    def __init__(self, name: str, func: Callable, *, parent: QObject | None = None, **kwargs):
        super().__init__(parent)
        self.name = name
        self._cancel = threading.Event()
        self._over = threading.Event()
        self.started_at = 0.0
        self.running = False

        def work():
            try:
                return func(task=self, **kwargs)
            finally:
                self._over.set()

        self._worker = create_worker(work, _start_thread=False,
                                     _ignore_errors=True)  # we handle `errored`
        self._worker.returned.connect(self.returned.emit)
        self._worker.errored.connect(self.errored.emit)
        self._worker.finished.connect(self._done)

    def start(self, pool: QThreadPool | None = None) -> None:
        """Run in the app's thread pool, or in `pool` (the video's own thread: frames never
        wait behind scoring, and one reader is never used by two threads)."""
        self.started_at = time.monotonic()
        self.running = True
        if pool is None:
            self._worker.start()
        else:
            pool.start(self._worker)

    def _done(self) -> None:
        self.running = False
        self.finished.emit()

    # -- called from the worker thread ----------------------------------------------
    def report(self, done: int, total: int, text: str | None = None) -> None:
        """The progress protocol (`Progress`)."""
        if text is not None:
            self.status.emit(text)
        self.progress.emit(int(done), int(total))

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    # -- called from the GUI ------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the function has returned or raised (its signals may still be
        queued); False if `timeout` seconds passed first."""
        return self._over.wait(timeout)

    def eta_s(self, done: int, total: int) -> float | None:
        if done <= 0 or total <= 0 or done > total:
            return None
        elapsed = time.monotonic() - self.started_at
        return elapsed * (total - done) / done


# a thin track (trigger, TTL, accelerometer) keeps the whole file's range, so its baseline looks
# flat and a pulse stands out; EEG and EMG keep a robust range of the whole recording
THIN_PERCENTILES = (0.0, 100.0)
TRACE_PERCENTILES = (0.5, 99.5)


@dataclass
class LoadedRecording:
    """A recording with everything the views precompute for it."""

    recording: object  # backend.Recording
    epoch_length: float
    pyramids: dict[str, backend.MinMaxPyramid]
    spectrogram: backend.Spectrogram | None  # EEG power in 4-s windows, 1-s steps
    stimulation: tuple[str, list[tuple[int, int]]] | None = None  # trigger, trains in seconds


def prepare_recording(*, path: str | Path, roles: dict | None, epoch_length: float,
                      task: Task, rate: float | None = None) -> LoadedRecording:
    """Read the file (`rate`: of a CSV/Parquet table), then build decimation pyramids and the
    EEG spectrogram."""
    task.report(0, 0, f"reading {Path(path).name}")
    recording = backend.load_recording(path=path, roles=roles, rate=rate)
    task.check()
    return prepare_loaded(recording, epoch_length, task)


def prepare_with_roles(*, recording, roles: dict, epoch_length: float,
                       task: Task) -> LoadedRecording:
    """The recording already read, with the channel roles the user chose: no second read of
    the file."""
    return prepare_loaded(recording.with_roles(roles), epoch_length, task)


def prepare_loaded(recording, epoch_length: float, task: Task | None = None) -> LoadedRecording:
    pyramids = {}
    channels = recording.channels
    for i, channel in enumerate(channels):
        if task is not None:
            task.report(i, len(channels) + 1, f"preparing display of {channel.name}")
            task.check()
        pyramid = backend.MinMaxPyramid(channel.data, channel.rate)
        # each track's fixed y range, computed here once rather than on the GUI thread
        pyramid.robust_range(*(THIN_PERCENTILES if channel.kind.value == "other"
                               else TRACE_PERCENTILES))
        pyramids[channel.name] = pyramid
    power = None
    eeg = recording.eeg
    if eeg is not None:
        if task is not None:
            task.report(len(channels), len(channels) + 1, "computing EEG spectrogram")
        power = backend.spectrogram(data=eeg.data, rate=eeg.rate)
    return LoadedRecording(recording, epoch_length, pyramids, power,
                           backend.find_trains(recording=recording))


def run_scoring(*, recording, options, weights: str | Path | None = None, calibration=None,
                task: Task):
    """Automatic scoring through `backend.score` with the model file `weights` (None: the
    bundled one) and the person's choices `options` (`backend.scoring_options`); returns its
    ScoreResult. `calibration`: a hypnogram whose person-set epochs choose the recording's
    scaling when there are enough of them."""
    task.report(0, 0, "starting the model")
    device = backend.device_name(requested=options.device)
    task.report(0, 0, f"scoring on {device}")
    result = backend.score(recording=recording, weights=weights, progress=task.report,
                           cancel=task.cancelled, calibration=calibration,
                           **options.score_keywords())
    task.check()
    try:  # provenance for the saved session: which model file scored
        result.model_sha256 = backend.model_sha256(weights=weights)
    except AttributeError:
        pass
    return result


def prewarm_model(*, task: Task) -> None:
    """Import the model stack (torch) in the background at start-up (backend.prewarm_model)."""
    backend.prewarm_model()


def finetune(*, folders: list[Path], base: Path, out_path: Path, config, task: Task) -> tuple:
    """Fine-tune `base` on the corrections `folders` and save an accepted model to
    `out_path` (backend.finetune): (FinetuneResult, saved path or None)."""
    return backend.finetune(folders=folders, base=base, out_path=out_path, config=config,
                            progress=finetune_progress(task.report), cancelled=task.cancelled)


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f" (about {s // 60} min {s % 60:02d} s left)"


FINETUNE_STEPS = {
    "evaluate": "Scoring the held-out corrections with the base model...",
    "replay": "Simulating training-lab signal so the model keeps what it knows...",
    "lab gate": "Fingerprinting the training labs, so the new model is used only on "
                "recordings like yours...",
    "forgetting check": "Checking that the new model keeps what the base knows...",
}


def finetune_progress(report: Callable[..., None]) -> Callable[[dict], None]:
    """model.finetune's progress (one dict per step) as the GUI's one protocol,
    `report(done, total, text)`; total 0 says "no count for this step"."""

    def progress(info: dict) -> None:
        stage = info.get("stage")
        if stage in FINETUNE_STEPS:
            report(0, 0, FINETUNE_STEPS[stage])
        elif stage == "train":
            total = max(1, info["epochs"] * info["steps"])
            done = (info["epoch"] - 1) * info["steps"] + info["step"]
            report(done, total, f"Pass {info['epoch']} of at most {info['epochs']}"
                   + _eta(info.get("eta_s")))

    return progress

