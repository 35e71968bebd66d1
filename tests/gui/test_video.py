"""The Video dock on the real window and a real small recording: a generated video whose
frames show their number is attached, and the dock must show the frame of the playhead
(plus the offset) after each way of moving through the recording, play, keep its attachment
with the recording's session, and say plainly what is wrong with a bad file."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt

from sleepscorer.gui import video_frames
from tests.gui.conftest import open_and_score
from tests.gui.test_recovery import reopen
from tests.gui.test_workflow import drop
from tests.io.conftest import frame_number, write_test_video

DIGITS = 3  # 60 s at 10 fps: frames 0-599


def make_video(tmp_path, name="cam.mp4"):
    return write_test_video(tmp_path / name, seconds=60, fps=10, digits=DIGITS)


def shown(win) -> int | None:
    """The number drawn in the frame the dock paints (None: no frame, a message instead)."""
    image = win.video.panel.frame.image
    if image is None:
        return None
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return frame_number(rows[:, : 3 * w].reshape(h, w, 3), DIGITS)


def wait_frame(qtbot, win, number: int) -> None:
    qtbot.waitUntil(lambda: shown(win) == number, timeout=10000)


def attached(qtbot, win, video) -> None:
    win.video.attach(video)
    qtbot.waitUntil(lambda: win.video.reader is not None, timeout=10000)


def test_the_frame_follows_navigation_and_the_offset(qtbot, window, recording_path,
                                                     tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    video = make_video(tmp_path)
    attached(qtbot, window, video)
    sync = window.video
    assert sync.dock.isVisible() and "cam.mp4" in sync.panel.name.text()
    wait_frame(qtbot, window, 0)  # the first epoch is selected on opening
    assert all(line.isVisible() and line.value() == 0.0 for line in sync._lines.values())
    session.go_to(12.0)  # Navigate > Go to
    wait_frame(qtbot, window, 120)
    assert "recording 0:00:12.00" in sync.panel.times.text()
    assert "(frame 120)" in sync.panel.times.text()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # the next epoch
    wait_frame(qtbot, window, 130)
    window.trace_view.set_x_range(30.0, 60.0)  # scrolled (a drag, the overview) to 30-60 s
    wait_frame(qtbot, window, 450)  # the centre of the view
    window.zoom(0.5)  # zooming keeps the playhead while it stays in view
    qtbot.wait(100)
    assert sync.playhead == 45.0
    sync.panel.offset.setValue(2.5)  # video time = recording time + 2.5 s
    wait_frame(qtbot, window, 475)
    assert session.store.meta["video"] == {"path": str(video.resolve()), "offset_s": 2.5}
    session.go_to(100.0)  # video 102.5 s: after its end
    qtbot.waitUntil(lambda: shown(window) is None)
    assert "after the video ends" in sync.panel.frame.text
    assert "covers recording -0:00:02.5 to 0:00:57.5" in sync.panel.frame.text
    assert "outside the video" in sync.panel.times.text()
    sync.panel.offset.setValue(-20.0)
    session.go_to(10.0)
    qtbot.waitUntil(lambda: "before the video starts" in sync.panel.frame.text)
    session.go_to(25.0)
    wait_frame(qtbot, window, 50)


def test_requests_coalesce_while_a_frame_decodes(qtbot, window, recording_path, tmp_path,
                                                 monkeypatch):
    """Scrolling asks for a frame at every step; only the latest time waits while one
    decodes, so the dock ends on the last one without decoding them all."""
    session = open_and_score(qtbot, window, recording_path)
    attached(qtbot, window, make_video(tmp_path))
    asked = []

    def slow_decode(*, reader, seconds, task):
        asked.append(seconds)
        time.sleep(0.05)  # a slow disk, a large frame
        return reader.frame_at(seconds)

    monkeypatch.setattr(video_frames, "decode_frame", slow_decode)
    for k in range(40):
        window.trace_view.set_x_range(k, k + 30.0)  # centres 15.0 ... 54.0 s
    wait_frame(qtbot, window, 540)
    assert len(asked) <= 4 and asked[-1] == 54.0
    assert session is window.session


def test_play_moves_the_playhead_and_stops_at_the_end_of_the_video(qtbot, window,
                                                                    recording_path, tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    attached(qtbot, window, make_video(tmp_path))
    sync = window.video
    sync.panel.speed.setCurrentText("4x")
    session.go_to(20.0)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # Navigate > Play / pause video
    assert sync.panel.play.text() == "Pause"
    qtbot.waitUntil(lambda: sync.playhead > 22.0, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    stopped = sync.playhead
    assert sync.panel.play.text() == "Play" and stopped > 22.0
    assert session.start == int(stopped)  # pausing selects the epoch just watched
    assert sync.playhead == stopped  # ... without moving the playhead back to its start
    wait_frame(qtbot, window, int(stopped * 10))
    session.go_to(59.0)
    sync.toggle_play()
    qtbot.waitUntil(lambda: not sync._timer.isActive(), timeout=5000)
    assert 59.9 < sync.playhead < 60.0 and shown(window) == 599
    assert "end of the video" in window.statusBar().currentMessage()


def test_reopening_the_recording_brings_its_video_back(qtbot, window, recording_path,
                                                       tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    video = make_video(tmp_path)
    drop(window, video)  # a video dropped onto the open recording is attached to it
    qtbot.waitUntil(lambda: window.video.reader is not None, timeout=10000)
    window.video.panel.offset.setValue(1.5)
    session.go_to(5.0)
    wait_frame(qtbot, window, 65)
    window.close()

    second = reopen(qtbot, recording_path)
    qtbot.waitUntil(lambda: second.video.reader is not None, timeout=10000)
    assert second.video.path == video.resolve() and second.video.offset == 1.5
    assert second.video.panel.offset.value() == 1.5
    second.session.go_to(7.0)
    wait_frame(qtbot, second, 85)
    second.close()

    video.rename(tmp_path / "elsewhere.mp4")  # the video moved: the recording still opens
    third = reopen(qtbot, recording_path)
    qtbot.waitUntil(lambda: any("video:" in t for t in third.warnings.texts()), timeout=10000)
    said = [t for t in third.warnings.texts() if t.startswith("video:")]
    assert len(said) == 1 and "not at" in said[0] and str(video.resolve()) in said[0]
    assert third.session is not None and third.video.reader is None
    third.files.shutdown()


def test_a_bad_video_is_one_line_naming_the_file(qtbot, window, recording_path, tmp_path):
    drop(window, make_video(tmp_path))  # no recording open yet: nothing to attach it to
    assert "open its recording first" in window.statusBar().currentMessage()
    open_and_score(qtbot, window, recording_path)
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 20000, np.uint8)))
    before = noise.read_bytes()
    drop(window, noise)
    qtbot.waitUntil(lambda: "error:" in window.statusBar().currentMessage(), timeout=10000)
    message = window.statusBar().currentMessage()
    assert message.startswith(f"error: {noise}: not a video that can be read")
    assert "\n" not in message and window.video.reader is None
    assert "not a video" in window.video.panel.frame.text
    assert noise.read_bytes() == before  # never written to
    window.video.toggle_play()  # nothing to play: said, not raised
    assert "no video to play" in window.statusBar().currentMessage()


def test_a_stage_key_while_playing_labels_the_epoch_on_screen(qtbot, window, recording_path,
                                                             tmp_path):
    """A user trial: epochs 20-24 selected, Space pressed, and `1` pressed as the animal woke
    on screen labelled the selection made before Space, not the epoch shown. A scorer labels
    what is on screen: the playhead's epoch, while the video plays on from where it was
    (Enter confirms it the same way); the old selection is left alone."""
    from sleepscorer.hypnogram import Source
    from sleepscorer.stages import Stage

    session = open_and_score(qtbot, window, recording_path)
    attached(qtbot, window, make_video(tmp_path))
    sync, hyp = window.video, session.hypnogram
    model_stages = hyp.stages.copy()
    sync.panel.speed.setCurrentText("2x")
    session.drag(20.0, 24.9)
    assert (session.start, session.stop) == (20, 25) and sync.playhead == 20.0
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: sync.playhead > 27.0, timeout=5000)
    before = sync.playhead
    qtbot.keyClick(window, Qt.Key.Key_1)  # Wake: the animal on screen woke
    after = sync.playhead
    labelled = np.flatnonzero(hyp.sources == Source.EXPERT)
    assert len(labelled) == 1 and int(before) <= labelled[0] <= int(after)
    assert hyp.stages[labelled[0]] == Stage.WAKE != model_stages[labelled[0]]
    assert (hyp.sources[20:25] == Source.MODEL).all()  # the old selection: not labelled
    assert sync.playing and after >= before  # not sent back to the selection
    qtbot.waitUntil(lambda: sync.playhead > after + 1.0, timeout=5000)  # playing on
    before = sync.playhead
    qtbot.keyClick(window, Qt.Key.Key_Return)  # confirm the model's label on screen
    confirmed = np.flatnonzero(hyp.sources == Source.EXPERT)[1:]
    assert len(confirmed) == 1 and int(before) <= confirmed[0] <= int(sync.playhead)
    assert hyp.stages[confirmed[0]] == model_stages[confirmed[0]]
    assert sync.playing
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not sync.playing and session.start == int(sync.playhead)
