"""The video beside the recording: which file is attached (File > Open video, a drop, or the
recording's saved session), the playhead (the recording time whose frame the Video dock
shows), decoding off the GUI thread, and playback.

Where the playhead is: a selection (a click, an epoch step, Go to, N, PageDown) puts it at
the selection's first epoch; panning the view without selecting puts it at the view's centre
(zooming leaves it while it stays in view); playing moves it on at 1x, 2x or 4x and the view
pages along; a stage key (or Enter) while playing labels the epoch on screen, playing on;
pausing selects the epoch under it, so a stage key labels what was just watched.
A line in every track marks it. Video time = recording time + the offset.

Frames are decoded off the GUI thread by video_frames.py (latest request only). The
attachment (path, offset) is kept in the recording's persistent session (`record_video`) and
comes back when the recording is opened again. Never writes to a video file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFileDialog

from sleepscorer.errors import SleepScorerError
from sleepscorer.gui import backend
from sleepscorer.gui.time_axis import format_time
from sleepscorer.gui.video_frames import FrameDecoder
from sleepscorer.gui.video_panel import VideoPanel
from sleepscorer.gui.workers import Task

log = logging.getLogger(__name__)
PLAY_TICK_MS = 40
PLAYHEAD_PEN = "#D55E00"  # Okabe-Ito vermilion, apart from every stage colour
END_MARGIN_S = 1e-3  # playing stops this short of the video's end: its last frame stays


def one_line(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SleepScorerError):
        return f"error: {exc}"
    log.error("video %s", path, exc_info=exc)
    return f"error: {path}: cannot read the video ({type(exc).__name__}: {exc})"


class VideoSync(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.panel = VideoPanel()
        self.dock = QDockWidget("Video", window)
        self.dock.setObjectName("Video")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()  # shown when a video is attached
        self.frames = FrameDecoder(self)
        self.frames.frameDecoded.connect(self._decoded)
        self.frames.decodeFailed.connect(self._decode_failed)
        self.path: Path | None = None
        self.offset = 0.0  # seconds: video time = recording time + offset
        self.playhead = 0.0  # recording seconds
        self.shown = None  # the VideoFrame on screen
        self.speed = 1.0
        self.session = None
        self._opening: Task | None = None
        self._hold = False  # a selection moved the playhead: the view's move follows it
        self._paging = self._selecting = False  # the view / selection moved from here
        self._width: float | None = None
        self._lines: dict = {}  # plot -> its playhead line
        self._placed = False  # the dock was shown once (then it stays where the user puts it)
        self._clock = 0.0
        self._timer = QTimer(self, interval=PLAY_TICK_MS)
        self._timer.timeout.connect(self._tick)
        window.trace_view.rangeChanged.connect(self._view_moved)
        p = self.panel
        p.playToggled.connect(self.toggle_play)
        p.speedChanged.connect(lambda speed: setattr(self, "speed", speed))
        p.offsetChanged.connect(self.set_offset)
        p.openRequested.connect(self.open_dialog)
        p.detachRequested.connect(self.detach)
        p.editingDone.connect(window.trace_view.setFocus)

    def _status(self, text: str, ms: int = 8000) -> None:
        self.w.statusBar().showMessage(text, ms)

    @property
    def reader(self):  # noqa: ANN201 - the attached video's VideoReader, or None
        return self.frames.reader

    # -- attaching ------------------------------------------------------------------------
    def takes(self, path: Path) -> bool:
        """Whether a dropped file is a video (then `dropped` attaches it)."""
        return Path(path).suffix.lower() in backend.video_suffixes()

    def dropped(self, path: Path) -> None:
        if self.session is None:
            self._status(f"{Path(path).name} is a video: open its recording first (File > "
                         "Open or drop it here), then drop the video onto it", 15000)
        else:
            self.attach(path)

    def open_dialog(self) -> None:
        if self.session is None:
            self._status("open a recording first: a video is watched beside its recording")
            return
        path = self.w.files.path
        folder = str(path.parent) if path is not None else self.w.settings.last_folder
        patterns = " ".join(f"*{s}" for s in backend.video_suffixes())
        chosen, _ = QFileDialog.getOpenFileName(self.w, "Open video", folder,
                                                f"Videos ({patterns});;All files (*)")
        if chosen:
            self.attach(chosen)

    def attach(self, path: str | Path, offset: float = 0.0, remember: bool = True) -> None:
        """Open the video in the video's thread, then show it beside the open recording."""
        path, session = Path(path), self.session
        self._opening = task = self.frames.open(
            path, lambda reader: self._opened(task, session, path, reader, offset, remember),
            lambda exc: self._open_failed(task, path, exc, remember))

    def _opened(self, task: Task, session, path: Path, reader, offset: float,
                remember: bool) -> None:
        if task is not self._opening or session is not self.session:
            self.frames.discard(reader)
            return
        self._opening = None
        self.frames.use(reader)
        self.path, self.offset, self.shown = path, offset, None
        self.panel.set_attached(path.name, str(path))
        self.panel.set_offset(offset)
        self.w.warnings.replace_source("video", [])
        if not self.dock.isVisible():
            self._place_dock()
        if remember:
            self._remember()
        self._draw_playhead()
        self._request()
        self._status(f"video {path.name} attached ({format_time(reader.duration_s)}, "
                     f"{reader.fps:g} fps): Space plays; the offset is in the Video panel")

    def _place_dock(self) -> None:
        """Shown for the first time: a tab over the first dock beside it (the statistics),
        where the picture gets the column's height; later where the user last put it."""
        area = self.w.dockWidgetArea(self.dock)
        beside = [d for d in self.w.findChildren(QDockWidget) if d is not self.dock
                  and d.isVisible() and self.w.dockWidgetArea(d) == area]
        if beside and not self._placed:
            self.w.tabifyDockWidget(beside[0], self.dock)
        self._placed = True
        self.dock.show()
        self.dock.raise_()

    def _open_failed(self, task: Task, path: Path, exc: BaseException, remember: bool) -> None:
        if task is not self._opening:
            return
        self._opening = None
        text = one_line(exc, path)
        self._status(text, 20000)
        if not remember:  # a saved attachment: said where it stays listed
            self.w.warnings.replace_source("video", [text])
        if self.reader is None:
            self.panel.frame.show_text(text)

    def detach(self, forget: bool = True) -> None:
        """No video any more; `forget`: nor when the recording is opened again."""
        self.stop(select=False)
        self._opening = None
        self.frames.release()
        self.path = self.shown = None
        self.panel.set_attached(None)
        self._draw_playhead()
        if forget:
            self._remember()

    def _remember(self) -> None:
        store = self.session.store if self.session is not None else None
        if store is None:
            return
        try:
            store.record_video(self.path, self.offset)
        except OSError as exc:
            self._status(f"could not save the video's attachment in the session ({exc})")

    def recording_opened(self, session) -> None:
        """A recording replaces the last: the last one's video goes, and the video saved
        with the new one comes back once the window has listed the file's warnings."""
        self.detach(forget=False)
        if self.session is not None:
            self.session.selectionChanged.disconnect(self._selected)
        self.session = session
        session.selectionChanged.connect(self._selected)
        QTimer.singleShot(0, lambda: self._reattach(session))

    def _reattach(self, session) -> None:
        saved = session.store.meta.get("video") if session.store is not None else None
        if session is not self.session or not saved:
            return
        path = Path(saved["path"])
        if path.exists():
            self.attach(path, float(saved.get("offset_s", 0.0)), remember=False)
        else:
            self.w.warnings.replace_source("video", [
                f"the video attached to this recording is not at {path} any more (moved, "
                "renamed or on a drive not connected?): File > Open video attaches it again"])

    # -- the playhead ---------------------------------------------------------------------
    def move_to(self, seconds: float) -> None:
        """Put the playhead at `seconds` of the recording and show that time's frame."""
        self.playhead = min(max(0.0, seconds), self.w.trace_view.duration)
        self._draw_playhead()
        self._request()

    def _selected(self, start: int, _stop: int) -> None:
        if self._selecting:
            return
        self._hold = True  # the view's reveal or centring that follows is the selection's
        QTimer.singleShot(0, lambda: setattr(self, "_hold", False))
        self.move_to(start * self.session.epoch_length)

    def _view_moved(self, t0: float, t1: float) -> None:
        width, before = t1 - t0, self._width
        self._width = width
        if self._hold or self._paging or self._selecting:
            return
        zoomed = before is not None and abs(width - before) > 1e-6 * width
        if not (zoomed and t0 <= self.playhead <= t1):
            self.move_to((t0 + t1) / 2)

    def _draw_playhead(self) -> None:
        plots = self.w.trace_view.plots
        self._lines = {p: line for p, line in self._lines.items() if p in plots}
        for plot in plots:
            if plot not in self._lines:
                line = pg.InfiniteLine(angle=90, movable=False,
                                       pen=pg.mkPen(PLAYHEAD_PEN, width=2))
                line.setZValue(30)
                plot.addItem(line, ignoreBounds=True)
                self._lines[plot] = line
        for line in self._lines.values():
            line.setValue(self.playhead)
            line.setVisible(self.reader is not None)

    # -- frames ---------------------------------------------------------------------------
    def _request(self) -> None:
        """The playhead's frame: at once if the one on screen covers it, else decoded off
        the GUI thread."""
        if self.reader is None:
            return
        t = self.playhead + self.offset
        if not 0.0 <= t < self.reader.duration_s:
            self.shown = None
            self._show_outside(t)
        elif self.shown is not None and self.shown.covers(t):
            self._show_times()
        else:
            self.frames.want(t)

    def _decoded(self, frame) -> None:
        t = self.playhead + self.offset
        if self.reader is not None and 0.0 <= t < self.reader.duration_s:  # else said so
            self.shown = frame
            self.panel.frame.show_image(frame.image)
            self._show_times()

    def _decode_failed(self, exc: BaseException) -> None:
        text = one_line(exc, self.path)
        self.shown = None
        self.panel.frame.show_text(text)
        self._status(text, 15000)

    def _show_times(self) -> None:
        frame = self.shown
        self.panel.times.setText(f"recording {format_time(self.playhead, 2)}   video "
                                 f"{format_time(frame.time, 2)} (frame {frame.index})")

    def _show_outside(self, t: float) -> None:
        duration, where = self.reader.duration_s, "before the video starts" if t < 0 else \
            "after the video ends"
        first, last = format_time(-self.offset, 1), format_time(duration - self.offset, 1)
        self.panel.frame.show_text(f"recording {format_time(self.playhead, 1)} is {where}\n"
                                   f"(the video covers recording {first} to {last})")
        self.panel.times.setText(f"recording {format_time(self.playhead, 2)}   video "
                                 f"{format_time(t, 2)}: outside the video")

    def set_offset(self, seconds: float) -> None:
        self.offset = float(seconds)
        self._remember()
        self._request()

    # -- playing --------------------------------------------------------------------------
    def _end(self) -> float:
        """Where playing stops: the video's end or the recording's, whichever comes first."""
        return min(self.reader.duration_s - self.offset - END_MARGIN_S, self.w.trace_view.duration)

    def _end_name(self) -> str:
        return "recording" if self._end() >= self.w.trace_view.duration else "video"

    def toggle_play(self) -> None:
        if self._timer.isActive():
            self.stop()
        elif self.reader is None:
            self._status("no video to play: File > Open video attaches one to this recording")
        elif self.playhead >= self._end():
            self._status(f"at the end of the {self._end_name()}: nothing to play from here")
        else:
            if self.playhead + self.offset < 0:  # from where the video starts
                self.move_to(-self.offset)
            self._clock = time.monotonic()
            self._timer.start()
            self.panel.set_playing(True)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def labelling(self, action: Callable[[], object]) -> None:
        """Run a labelling command (a stage key, Enter): while the video plays, on the epoch it
        shows (the playhead's, selected as a click would), playing on, with neither the
        playhead nor the view sent back to the selection; else on the selection as it is.

        Why: a key pressed while watching labelled the selection made before Space, not the
        epoch of the animal on screen."""
        if not self.playing or self.session is None:
            action()
            return
        self._selecting = True
        try:
            self.session.click(self.playhead)
            action()
        finally:
            self._selecting = False

    def stop(self, select: bool = True) -> None:
        """Stop playing; `select`: the epoch under the playhead becomes the selection."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        self.panel.set_playing(False)
        if select and self.session is not None:
            self._selecting = True
            try:
                self.session.select(self.session.epoch_at(self.playhead))
            finally:
                self._selecting = False

    def _tick(self) -> None:
        now = time.monotonic()
        end = self._end() if self.reader is not None else self.playhead
        target = min(self.playhead + (now - self._clock) * self.speed, end)
        self._clock = now
        t0, t1 = self.w.trace_view.x_range()
        if not t0 <= target <= t1:  # the view pages along, the playhead near its left edge
            width = t1 - t0
            last = max(0.0, self.w.trace_view.duration - width)
            start = min(max(0.0, target - 0.05 * width), last)
            self._paging = True
            try:
                self.w.trace_view.set_x_range(start, start + width)
            finally:
                self._paging = False
        self.move_to(target)
        if target >= end:
            self.stop()
            self._status(f"stopped at the end of the {self._end_name()}")
