import numpy as np
import pytest

from sleepscorer.core import journal as journal_mod
from sleepscorer.core.journal import Journal
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.stages import Stage


@pytest.fixture
def recording_file(tmp_path, monkeypatch):
    monkeypatch.setattr(journal_mod, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    path = tmp_path / "rec.edf"
    path.write_bytes(b"x" * 100)
    return path


def test_edits_survive_a_crash(recording_file):
    hyp = Hypnogram(100)
    j = Journal(recording_file, 100, 1.0)
    j.attach(hyp)
    probs = np.tile([0.7, 0.2, 0.1], (100, 1)).astype(np.float32)
    hyp.apply_model(probs, (Stage.WAKE, Stage.NREM, Stage.REM))
    hyp.set_stage(10, 20, Stage.NREM)
    hyp.set_stage(30, 31, Stage.REM)
    hyp.undo()
    assert j.path.parent.parent == recording_file.parent / "data"
    del hyp  # the app died; a new session reads the journal
    fresh = Hypnogram(100)
    j2 = Journal(recording_file, 100, 1.0)
    assert len(j2.entries()) == 4
    edit = j2.replay(fresh)
    assert edit is not None
    assert (fresh.stages[10:20] == Stage.NREM).all() and fresh.stages[30] == Stage.WAKE
    assert (fresh.sources[10:20] == Source.EXPERT).all() and fresh.sources[0] == Source.MODEL
    assert abs(fresh.confidence[0] - 0.7) < 1e-3 and np.isnan(fresh.confidence[10])
    fresh.undo()
    assert (fresh.stages == Stage.UNSCORED).all()


def test_clear_and_other_layout(recording_file):
    hyp = Hypnogram(50)
    j = Journal(recording_file, 50, 1.0)
    j.attach(hyp)
    hyp.set_stage(0, 5, Stage.WAKE)
    assert Journal(recording_file, 25, 2.0).entries() == []
    j.clear()
    assert Journal(recording_file, 50, 1.0).entries() == []


def test_truncated_last_line_is_ignored(recording_file):
    hyp = Hypnogram(50)
    j = Journal(recording_file, 50, 1.0)
    j.attach(hyp)
    hyp.set_stage(0, 5, Stage.WAKE)
    with j.path.open("a") as fh:
        fh.write('{"start": 3, "stag')
    assert len(j.entries()) == 1


def test_changed_file_gets_a_new_journal(recording_file):
    a = Journal(recording_file, 10, 1.0).path
    recording_file.write_bytes(b"y" * 200)
    assert Journal(recording_file, 10, 1.0).path != a
