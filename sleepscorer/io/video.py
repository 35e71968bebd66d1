"""Video of the animal, read frame by frame at any time, to watch beside its recording.

`VideoReader(path).frame_at(seconds)` gives the frame shown at `seconds` after the video's
first frame (the last frame that starts at or before it), as RGB pixels, or None outside the
video. Seeking is fast on long videos: a jump goes to the nearest keyframe before the time and
decodes forward from there; a time a little ahead (within about one keyframe interval)
decodes forward from where the decoder already is, so playback and stepping forward never
seek; the last few frames shown are cached, so stepping back and forth costs nothing.

Decoding goes through PyAV (FFmpeg). A reader is used by one thread at a time. The file is
only ever opened for reading. A file that is not a video, has no video stream, or cannot be
decoded raises `VideoError` with the file and the problem. No Qt here.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleepscorer.errors import VideoError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")
CACHED_FRAMES = 8
DEFAULT_FORWARD_S = 2.0  # decode forward instead of seeking for jumps up to this, at least
NUDGE_S = 1e-6  # far below any frame interval
SEEK_RETRIES = 4  # a container that seeks past the time is asked again this often, earlier


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: shown from `time` until `end` (seconds from the first frame)."""

    index: int  # frame number, counted at the video's average frame rate
    time: float
    end: float
    image: np.ndarray  # (height, width, 3) uint8 RGB

    def covers(self, seconds: float) -> bool:
        """Whether this frame is on screen at `seconds` (a rounding error before its start
        counts as its start)."""
        return self.time <= seconds + NUDGE_S < self.end


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.rstrip(".").split("; last error log")[0]


class VideoReader:
    """Frames of one video file by time. `max_width`: wider frames are scaled down (the
    dock never shows more pixels than that, and converting fewer is faster)."""

    def __init__(self, path: str | Path, max_width: int | None = None,
                 cached_frames: int = CACHED_FRAMES):
        import av.error  # binds av too

        self.path = Path(path)
        if not self.path.is_file():
            raise VideoError(self.path, "file not found (moved, renamed or deleted?)"
                             if not self.path.exists() else "is not a file")
        try:
            self._container = av.open(str(self.path), mode="r")
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise VideoError(self.path, f"not a video that can be read ({_reason(exc)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise VideoError(self.path, "has no video stream (audio or data only)")
        self._stream = stream = self._container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        self._tb = float(stream.time_base)
        self._first = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else 25.0
        self.width, self.height = stream.codec_context.width, stream.codec_context.height
        if not self.width or not self.height:
            self.close()
            raise VideoError(self.path, "its video stream has no picture size (damaged header)")
        self._scale = None
        if max_width and self.width > max_width:
            self._scale = (max_width, max(2, round(self.height * max_width / self.width / 2) * 2))
        self.duration_s = self._duration()
        self._cache: OrderedDict[float, VideoFrame] = OrderedDict()
        self._cached = max(1, cached_frames)
        self._frames = None  # the decoder's frames, from where it stands
        self._ahead = None  # a frame decoded but not yet passed (the one after the last shown)
        self._at = -math.inf  # the time of the last frame taken from the decoder
        self._forward_s = DEFAULT_FORWARD_S
        self._last_key = None
        self.decoded = 0  # frames decoded (for the speed benchmarks)
        self.seeks = 0

    # -- properties ------------------------------------------------------------------
    def _duration(self) -> float:
        stream = self._stream
        if stream.duration:
            return float(stream.duration * stream.time_base)
        if self._container.duration:
            return self._container.duration / 1e6 - self._first
        last = None  # no duration in the headers: the last packet's time (no decoding)
        try:
            for packet in self._container.demux(stream):
                if packet.pts is not None:
                    end = packet.pts + (packet.duration or 0)
                    last = end if last is None else max(last, end)
            self._container.seek(0)
        except Exception as exc:  # noqa: BLE001 - an FFmpeg error of any kind
            raise VideoError(self.path, f"cannot be read to its end ({_reason(exc)})") from None
        if last is None:
            raise VideoError(self.path, "its video stream holds no frames")
        return last * self._tb - self._first

    def index_at(self, seconds: float) -> int:
        return int(math.floor(seconds * self.fps + 1e-6))

    # -- frames ----------------------------------------------------------------------
    def frame_at(self, seconds: float) -> VideoFrame | None:
        """The frame on screen `seconds` after the first frame; None before 0 or from the
        end of the video on."""
        if not 0.0 <= seconds < self.duration_s:
            return None
        for key, frame in self._cache.items():
            if frame.covers(seconds):
                self._cache.move_to_end(key)
                return frame
        seconds += NUDGE_S  # as `covers` does
        try:
            frame = self._decode_at(seconds)
        except VideoError:
            raise
        except Exception as exc:  # noqa: BLE001 - FFmpeg's errors, a damaged stream
            self._frames = self._ahead = None
            raise VideoError(self.path, f"cannot decode the frame at {seconds:.2f} s "
                             f"({_reason(exc)})") from None
        if frame is not None:
            self._cache[frame.time] = frame
            while len(self._cache) > self._cached:
                self._cache.popitem(last=False)
        return frame

    def _decode_at(self, seconds: float) -> VideoFrame | None:
        near = self._frames is not None and self._at <= seconds
        if near and seconds - self._at <= self._forward_s:
            found = self._forward(seconds, None)
            if found is not None:
                return found
        return self._seek_and_decode(seconds)

    def _seek_and_decode(self, seconds: float) -> VideoFrame | None:
        back = 0.0
        for _ in range(SEEK_RETRIES):
            target = max(0.0, seconds - back)
            self._seek(target)
            first = self._next()
            if first is None or self._time(first) <= seconds or target == 0.0:
                return self._forward(seconds, first, start=True)
            back = max(1.0, 2 * back)  # landed after the time: ask for an earlier keyframe
        return self._forward(seconds, None)

    def _seek(self, seconds: float) -> None:
        self.seeks += 1
        offset = int(math.floor((seconds + self._first) / self._tb))
        self._container.seek(offset, stream=self._stream, backward=True, any_frame=False)
        self._frames = self._container.decode(self._stream)
        self._ahead, self._at, self._last_key = None, -math.inf, None

    def _next(self):  # noqa: ANN202 - an av.VideoFrame, or None at the end
        if self._ahead is not None:
            frame, self._ahead = self._ahead, None
            return frame
        if self._frames is None:
            return None
        for frame in self._frames:
            if frame.pts is None:
                continue
            self.decoded += 1
            self._at = self._time(frame)
            if frame.key_frame:
                if self._last_key is not None and self._at > self._last_key:
                    self._forward_s = max(self._forward_s, self._at - self._last_key)
                self._last_key = self._at
            return frame
        self._frames = None  # the end of the stream
        return None

    def _forward(self, seconds: float, current, start: bool = False) -> VideoFrame | None:
        """Decode on until the frame after `seconds`; the one before it is the answer.
        `current`: a frame already taken (the first after a seek). None when the decoder
        has nothing at or before `seconds` (it stands after it)."""
        if current is None:
            current = self._next()
            if current is None or (self._time(current) > seconds and not start):
                self._ahead = current
                return None
        while True:
            following = self._next()
            if following is None:
                end = max(self.duration_s, self._time(current) + 1 / self.fps)
                break
            if self._time(following) > seconds:
                self._ahead = following
                end = self._time(following)
                break
            current = following
        return self._picture(current, end)

    def _time(self, frame) -> float:  # noqa: ANN001 - an av.VideoFrame
        return float(frame.pts * self._stream.time_base) - self._first  # exact: a Fraction

    def _picture(self, frame, end: float) -> VideoFrame:  # noqa: ANN001
        if self._scale is not None:
            image = frame.to_ndarray(format="rgb24", width=self._scale[0], height=self._scale[1])
        else:
            image = frame.to_ndarray(format="rgb24")
        time = self._time(frame)
        return VideoFrame(self.index_at(time), time, end, image)

    # -- closing ---------------------------------------------------------------------
    def close(self) -> None:
        self._frames = self._ahead = None
        self._cache.clear()
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def open_video(path: str | Path, max_width: int | None = None) -> VideoReader:
    """A reader for the video at `path` (VideoError when it cannot be one)."""
    return VideoReader(path, max_width=max_width)
