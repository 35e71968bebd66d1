"""Frames of the attached video, decoded off the GUI thread: the reader lives in a pool of
one thread of its own, so frames never wait behind scoring or loading and the reader is never
used by two threads at once (opening, decoding and closing run there in order).

Requests coalesce: while a frame decodes, only the latest time asked for waits; the times in
between are never decoded, so scrolling fast costs one decode at a time and ends on the frame
of where the user stopped. Knows nothing of the recording, the playhead or the widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from sleepscorer.gui import backend
from sleepscorer.gui.workers import Task

MAX_FRAME_WIDTH = 960  # px: wider videos are scaled down while decoding


def open_video(*, path: str, task: Task):  # noqa: ANN201 - a VideoReader
    return backend.open_video(path=path, max_width=MAX_FRAME_WIDTH)


def decode_frame(*, reader, seconds: float, task: Task):  # noqa: ANN201 - a VideoFrame
    return reader.frame_at(seconds)


def close_video(*, reader, task: Task) -> None:
    reader.close()


class FrameDecoder(QObject):
    frameDecoded = Signal(object)  # noqa: N815  a VideoFrame of the reader in use
    decodeFailed = Signal(object)  # noqa: N815  the exception (a VideoError when expected)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.reader = None  # the VideoReader frames come from
        self._decoding: Task | None = None
        self._wanted: float | None = None  # video seconds to decode next
        self._tasks: set[Task] = set()  # running, kept alive until they finish

    def _start(self, task: Task) -> None:
        self._tasks.add(task)
        task.finished.connect(lambda: self._tasks.discard(task))
        task.start(self.pool)

    def open(self, path: Path, opened: Callable[[object], None],
             failed: Callable[[BaseException], None]) -> Task:
        """Open `path` in the video's thread; `opened(reader)` or `failed(exception)` then.
        The reader is not used until `use` is called with it."""
        task = Task(f"Opening {path.name}", open_video, path=str(path))
        task.returned.connect(opened)
        task.errored.connect(failed)
        self._start(task)
        return task

    def use(self, reader) -> None:
        """Frames come from `reader` from now on (the last one is closed)."""
        self.release()
        self.reader = reader

    def release(self) -> None:
        """No reader: the last one is closed after the frame it may be decoding."""
        if self.reader is not None:
            reader, self.reader, self._wanted = self.reader, None, None
            self.discard(reader)

    def discard(self, reader) -> None:
        """Close a reader in the video's thread (one opened too late to be used)."""
        self._start(Task("closing a video", close_video, reader=reader))

    def want(self, seconds: float) -> None:
        """Decode the frame at `seconds` of the video; while another decodes, this time
        replaces any other still waiting."""
        self._wanted = seconds
        if self._decoding is None and self.reader is not None:
            self._decode_next()

    def _decode_next(self) -> None:
        reader, seconds, self._wanted = self.reader, self._wanted, None
        task = Task("video frame", decode_frame, reader=reader, seconds=seconds)
        task.returned.connect(lambda frame: self._decoded(reader, frame))
        task.errored.connect(lambda exc: reader is self.reader and self.decodeFailed.emit(exc))
        task.finished.connect(lambda: self._done(task))
        self._decoding = task
        self._start(task)

    def _decoded(self, reader, frame) -> None:
        if reader is self.reader and frame is not None:
            self.frameDecoded.emit(frame)

    def _done(self, task: Task) -> None:
        if task is self._decoding:
            self._decoding = None
            if self._wanted is not None and self.reader is not None:
                self._decode_next()
