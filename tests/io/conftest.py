"""Videos made for tests with PyAV: each frame's brightness says its frame number.

A frame is split into `digits` vertical stripes, one decimal digit each (most significant
left), drawn as grey level 16 + 22 * digit: codecs move a flat grey by a few levels, far less
than the 22 between digits, so `frame_number` reads every frame back exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

STEP, FLOOR = 22, 16


def frame_image(number: int, width: int, height: int, digits: int) -> np.ndarray:
    image = np.empty((height, width, 3), np.uint8)
    edges = np.linspace(0, width, digits + 1).astype(int)
    for k in range(digits):
        digit = number // 10 ** (digits - 1 - k) % 10
        image[:, edges[k]:edges[k + 1]] = FLOOR + STEP * digit
    return image


def frame_number(image: np.ndarray, digits: int = 2) -> int:
    """The frame number drawn by `frame_image`, read from the middle of each stripe."""
    height, width = image.shape[:2]
    edges = np.linspace(0, width, digits + 1).astype(int)
    number = 0
    for k in range(digits):
        a, b = edges[k], edges[k + 1]
        inner = image[height // 4: 3 * height // 4, a + (b - a) // 4: b - (b - a) // 4]
        number = number * 10 + int(np.clip(round((inner.mean() - FLOOR) / STEP), 0, 9))
    return number


def write_test_video(path: Path, seconds: float = 10, fps: int = 10, size=(64, 48),
                     gop: int = 20, digits: int = 2, codec: str | None = None) -> Path:
    """`seconds` of video at `fps`, a keyframe every `gop` frames; H.264 where this PyAV has
    an encoder for it (as lab cameras write), else MPEG-4 part 2."""
    import av

    if codec is None:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    options = {"preset": "ultrafast"} if codec == "libx264" else {}
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        for i in range(int(round(seconds * fps))):
            frame = av.VideoFrame.from_ndarray(frame_image(i, width, height, digits), "rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.fixture
def test_video(tmp_path) -> Path:
    """10 s at 10 fps, 64x48, a keyframe every 2 s: frame i is shown from i / 10 s."""
    return write_test_video(tmp_path / "mouse1.mp4")
