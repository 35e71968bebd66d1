"""The persistent session: saved continuously and atomically, reopened as it was, a changed
recording never given an old session, a killed process losing nothing."""

from __future__ import annotations

import json
import textwrap
import time

import numpy as np

from sleepscorer.core.session_store import SessionStore, recording_fingerprint
from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.kill_child import kill_when_ready

CLASSES = (Stage.WAKE, Stage.NREM, Stage.REM)


def epochs_for(n_seconds: int):
    return lambda epoch_length: int(n_seconds // epoch_length)


def probabilities(n: int) -> np.ndarray:
    p = np.full((n, 3), 0.1, np.float32)
    p[np.arange(n), (np.arange(n) // 10) % 3] = 0.8
    return p


def test_reopen_gives_back_labels_sources_confidences_and_layout(tmp_path, recording):
    store = SessionStore(tmp_path / "sessions")
    hyp, found = store.open(recording, epochs_for(600), 2.0)
    assert not found.restored and len(hyp) == 300
    hyp.apply_model(probabilities(300), CLASSES)
    found.session.record_model("stand-in", "abc123")
    found.session.save()
    hyp.set_stage(10, 20, Stage.REM)
    hyp.confirm(40, 50)
    expected = hyp.stages.copy(), hyp.sources.copy(), hyp.confidence.copy()
    found.session.detach()  # closed without a final save: the journal has the edits

    again, second = SessionStore(tmp_path / "sessions").open(recording, epochs_for(600), 1.0)
    assert second.restored and second.epoch_length == 2.0 and len(again) == 300
    assert np.array_equal(again.stages, expected[0])
    assert np.array_equal(again.sources, expected[1])
    assert np.allclose(again.confidence, expected[2], equal_nan=True)
    assert again.probabilities is not None and again.classes == CLASSES
    undo, redo = again.history()  # restoring is no undo step; the person's edits are
    assert [e.description for e in undo] == ["REM for epochs 10-19",
                                             "confirm epochs 40-49"] and not redo
    assert second.session.meta["models"][-1] == {**second.session.meta["models"][-1],
                                                 "name": "stand-in", "sha256": "abc123"}


def test_saved_outside_the_input_folder_and_atomically(tmp_path, recording):
    store = SessionStore(tmp_path / "sessions")
    hyp, found = store.open(recording, epochs_for(100), 1.0)
    hyp.set_stage(0, 5, Stage.NREM)
    found.session.save()
    assert sorted(p.name for p in recording.parent.iterdir()) == ["rec.edf", "sessions"]
    files = {p.name for p in found.session.folder.iterdir()}
    # no temporary files, the journal folded in
    assert files == {"snapshot.npz", "session.json", "history.jsonl"}
    assert json.loads(found.session.meta_path.read_text())["person_epochs"] == 5


def test_changed_content_is_said_and_the_old_session_kept_aside(tmp_path, recording):
    store = SessionStore(tmp_path / "sessions")
    hyp, found = store.open(recording, epochs_for(100), 1.0)
    hyp.set_stage(0, 5, Stage.NREM)
    found.session.save()
    data = bytearray(recording.read_bytes())
    data[0:16] = b"0123456789abcdef"
    recording.write_bytes(bytes(data))
    fresh, second = store.open(recording, epochs_for(100), 1.0)
    assert not second.restored and (fresh.stages == Stage.UNSCORED).all()
    assert second.notes and "changed" in second.notes[0] and second.aside.exists()
    kept = np.load(second.aside / "snapshot.npz")
    assert (kept["stages"][:5] == Stage.NREM).all()


def test_same_content_elsewhere_finds_its_session(tmp_path, recording):
    store = SessionStore(tmp_path / "sessions")
    hyp, found = store.open(recording, epochs_for(100), 1.0)
    hyp.set_stage(0, 5, Stage.NREM)
    found.session.save()
    copy = tmp_path / "copy.edf"
    copy.write_bytes(recording.read_bytes())
    again, second = store.open(copy, epochs_for(100), 1.0)
    assert second.restored and (again.stages[:5] == Stage.NREM).all()


def test_fingerprint_is_cheap_and_sees_header_tail_and_size(tmp_path):
    path = tmp_path / "big.bin"
    with path.open("wb") as fh:
        fh.truncate(2_000_000_000)  # sparse 2 GB
    t = time.perf_counter()
    first = recording_fingerprint(path)
    assert time.perf_counter() - t < 0.5
    seen = {first}
    for offset in (100, 2_000_000_000 - 10):  # an EDF header, the last data record
        with path.open("r+b") as fh:
            fh.seek(offset)
            fh.write(b"x")
        seen.add(recording_fingerprint(path))
    with path.open("ab") as fh:
        fh.write(b"y")
    seen.add(recording_fingerprint(path))
    assert len(seen) == 4


CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from sleepscorer.core.session_store import SessionStore
    from sleepscorer.stages import Stage
    store = SessionStore(sys.argv[1])
    hyp, found = store.open(sys.argv[2], lambda el: int(600 // el), 1.0)
    p = np.full((600, 3), 0.1, np.float32); p[:, 1] = 0.8
    hyp.apply_model(p, (Stage.WAKE, Stage.NREM, Stage.REM))
    found.session.save()
    for i in range(50):  # an expert at work; no snapshot after these edits
        hyp.set_stage(10 * i, 10 * i + 3, Stage.REM if i % 2 else Stage.WAKE)
    hyp.undo()
    print("ready", flush=True)
    time.sleep(60)
""")


def test_kill_9_mid_session_loses_nothing(tmp_path, recording):
    kill_when_ready(CHILD, str(tmp_path / "sessions"), str(recording), wait_s=10)
    hyp, found = SessionStore(tmp_path / "sessions").open(recording, lambda el: 600, 1.0)
    assert found.restored
    for i in range(49):
        assert (hyp.stages[10 * i:10 * i + 3] == (Stage.REM if i % 2 else Stage.WAKE)).all()
        assert (hyp.sources[10 * i:10 * i + 3] == Source.EXPERT).all()
    assert (hyp.stages[490:493] == Stage.NREM).all()  # the undone edit stays undone
    assert (hyp.sources[490:493] == Source.MODEL).all()
    assert abs(hyp.confidence[3] - 0.8) < 1e-3


def test_a_damaged_snapshot_is_kept_and_the_journal_still_restores(tmp_path, recording):
    store = SessionStore(tmp_path / "sessions")
    hyp, found = store.open(recording, epochs_for(100), 1.0)
    hyp.set_stage(0, 5, Stage.NREM)
    found.session.save()
    hyp.set_stage(10, 12, Stage.REM)  # journalled only
    found.session.detach()
    found.session.snapshot_path.write_bytes(b"PK\x03\x04 not a whole zip")
    again, second = SessionStore(tmp_path / "sessions").open(recording, epochs_for(100), 1.0)
    assert second.restored and (again.stages[10:12] == Stage.REM).all()
    assert any("could not be read" in n for n in second.notes)
    assert list(second.session.folder.glob("snapshot-unreadable-*.npz"))


def test_provenance_counts_confirmed_corrected_imported(tmp_path, recording):
    store = SessionStore(tmp_path / "sessions")
    hyp, found = store.open(recording, epochs_for(100), 1.0)
    hyp.apply_model(probabilities(100), CLASSES)  # stages by tens: W, N, R, W, ...
    hyp.confirm(0, 10)  # agrees with the model
    hyp.set_stage(10, 15, Stage.REM)  # the model said NREM: corrected
    hyp.replace(50, np.full(5, Stage.NREM), np.full(5, Source.IMPORTED, np.int8),
                np.full(5, np.nan, np.float32), "import")
    found.session.save()
    meta = found.session.meta
    assert (meta["confirmed_epochs"], meta["corrected_epochs"], meta["imported_epochs"],
            meta["model_epochs"]) == (10, 5, 5, 80)
    assert "10 confirming the model, 5 corrected, 5 imported" in found.session.describe()


def test_the_attached_video_and_its_offset_come_back_with_the_session(tmp_path, recording):
    store = SessionStore(tmp_path / "sessions")
    hyp, found = store.open(recording, epochs_for(600), 1.0)
    assert "video" not in found.session.meta
    found.session.record_video(tmp_path / "cam" / ".." / "mouse.mp4", -2.5)
    hyp.set_stage(0, 10, Stage.NREM)
    found.session.save()  # a snapshot keeps what was recorded
    found.session.detach()
    _, again = SessionStore(tmp_path / "sessions").open(recording, epochs_for(600), 1.0)
    assert again.session.meta["video"] == {"path": str((tmp_path / "mouse.mp4").resolve()),
                                           "offset_s": -2.5}
    again.session.record_video(None)
    assert "video" not in SessionStore(tmp_path / "sessions").session_for(recording).meta
