"""io/video.py: the frame of a time, through seeks either way, outside the video, and files
that are not readable videos (a clear error naming the file, never a traceback)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sleepscorer.errors import VideoError
from sleepscorer.io.video import VideoReader
from tests.io.conftest import frame_number, write_test_video


def expected(seconds: float) -> int:
    return int(np.floor(seconds * 10 + 1e-6))


def test_the_frame_of_a_time_is_the_one_on_screen_then(test_video):
    with VideoReader(test_video) as reader:
        assert reader.duration_s == pytest.approx(10.0)
        assert reader.fps == pytest.approx(10.0) and (reader.width, reader.height) == (64, 48)
        for t in (0.0, 0.05, 0.1, 0.35, 3.3, 4.999, 5.0, 9.95, 9.999):
            frame = reader.frame_at(t)
            assert frame_number(frame.image) == expected(t) == frame.index, t
            assert frame.time <= t < frame.end
            assert frame.end - frame.time == pytest.approx(0.1)
            assert frame.image.shape == (48, 64, 3) and frame.image.dtype == np.uint8


def test_seeks_backward_and_forward_give_the_right_frames(test_video):
    times = [5.0, 5.1, 5.3, 1.2, 9.9, 0.0, 7.45, 7.35, 2.05, 2.0, 8.0, 3.0, 6.0, 0.1]
    rng = np.random.default_rng(3)
    times += list(rng.uniform(0, 9.99, 60))
    with VideoReader(test_video, cached_frames=2) as reader:
        for t in times:
            assert frame_number(reader.frame_at(t).image) == expected(t), t


def test_stepping_forward_decodes_on_and_a_far_jump_seeks(test_video):
    """Playback and small steps never seek; a jump past a keyframe interval does, and a
    step back to a frame shown a moment ago comes from the cache."""
    with VideoReader(test_video) as reader:
        reader.frame_at(1.0)
        seeks = reader.seeks
        for k in range(1, 15):
            assert frame_number(reader.frame_at(1.0 + k / 10).image) == 10 + k
        assert reader.seeks == seeks
        reader.frame_at(8.5)
        assert reader.seeks == seeks + 1
        decoded = reader.decoded
        assert frame_number(reader.frame_at(2.4).image) == 24  # cached
        assert reader.decoded == decoded and reader.seeks == seeks + 1


def test_outside_the_video_there_is_no_frame(test_video):
    with VideoReader(test_video) as reader:
        assert reader.frame_at(-0.01) is None
        assert reader.frame_at(10.0) is None and reader.frame_at(3600.0) is None
        assert frame_number(reader.frame_at(9.99).image) == 99  # the last frame still is


@pytest.mark.parametrize("codec,suffix", [("mpeg4", ".avi"), ("mpeg4", ".mkv"),
                                          ("mpeg4", ".mov"), (None, ".mp4")])
def test_every_container_the_app_offers(tmp_path, codec, suffix):
    path = write_test_video(tmp_path / f"cam{suffix}", codec=codec)
    with VideoReader(path) as reader:
        assert reader.duration_s == pytest.approx(10.0)
        for t in (6.05, 0.0, 9.9, 3.3, 3.2):
            assert frame_number(reader.frame_at(t).image) == expected(t)


def test_wide_frames_are_scaled_down(test_video):
    with VideoReader(test_video, max_width=32) as reader:
        image = reader.frame_at(4.2).image
        assert image.shape == (24, 32, 3) and frame_number(image) == 42


def test_reading_never_changes_the_video(test_video):
    before = hashlib.sha256(test_video.read_bytes()).hexdigest()
    mtime = test_video.stat().st_mtime_ns
    with VideoReader(test_video) as reader:
        for t in (5.0, 1.0, 9.0):
            reader.frame_at(t)
    assert hashlib.sha256(test_video.read_bytes()).hexdigest() == before
    assert test_video.stat().st_mtime_ns == mtime


def _one_line_error(path) -> str:
    with pytest.raises(VideoError) as caught:
        VideoReader(path)
    text = str(caught.value)
    assert text.startswith(str(path) + ": ") and "\n" not in text and "Traceback" not in text
    return text


def test_bad_files_say_which_file_and_what_is_wrong(tmp_path, test_video):
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, np.uint8).tobytes())
    assert "not a video that can be read" in _one_line_error(noise)
    cut = tmp_path / "cut.mp4"  # a recording stopped mid-write: mp4's index is at its end
    cut.write_bytes(test_video.read_bytes()[: test_video.stat().st_size // 2])
    assert "not a video that can be read" in _one_line_error(cut)
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    assert "not a video that can be read" in _one_line_error(empty)
    assert "file not found" in _one_line_error(tmp_path / "moved.mp4")
    assert "is not a file" in _one_line_error(tmp_path)


def test_a_file_without_a_video_stream_says_so(tmp_path):
    import av

    path = tmp_path / "sound.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mp2", rate=44100)
        stream.layout = "mono"
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1152), np.int16), format="s16",
                                               layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1152
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    assert "has no video stream" in _one_line_error(path)
