"""The undo history kept with the persistent session: Ctrl+Z after a reopen or a kill -9
undoes the last edits exactly (labels, who set them, confidence); bounded; and a history
that does not fit the restored labels is dropped with a note, never the labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sleepscorer.core import edit_history
from sleepscorer.core.session_store import SessionStore
from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.core.test_session_store import CHILD
from tests.kill_child import kill_when_ready

CLASSES = (Stage.WAKE, Stage.NREM, Stage.REM)
N = 600


def open_session(tmp_path, recording):
    return SessionStore(tmp_path / "sessions").open(recording, lambda el: int(N // el), 1.0)


def state(hyp):
    return hyp.stages.copy(), hyp.sources.copy(), hyp.confidence.copy()


def same(hyp, expected, atol: float = 0.0) -> bool:
    """Stages and sources exactly; confidence exactly, or to `atol` where the journal restored
    it (it keeps 4 decimals)."""
    stages, sources, confidence = expected
    return (np.array_equal(hyp.stages, stages) and np.array_equal(hyp.sources, sources)
            and np.allclose(hyp.confidence, confidence, rtol=0, atol=atol, equal_nan=True))


def scored_and_edited(tmp_path, recording):
    """A scored session with four person edits, the last undone; the states before each."""
    hyp, found = open_session(tmp_path, recording)
    p = np.full((N, 3), 0.1, np.float32)
    p[np.arange(N), (np.arange(N) // 10) % 3] = np.linspace(0.5, 0.9, N)
    hyp.apply_model(p, CLASSES)
    found.session.save()
    before = []
    for edit in (lambda: hyp.set_stage(10, 20, Stage.REM), lambda: hyp.confirm(30, 45),
                 lambda: hyp.set_stage(15, 35, Stage.WAKE),
                 lambda: hyp.set_stage(100, 101, Stage.ARTIFACT)):
        before.append(state(hyp))
        edit()
    hyp.undo()
    return hyp, found, before


@pytest.mark.parametrize("saved", [True, False], ids=["closed", "crashed"])
def test_undo_and_redo_after_reopen_give_back_each_state(tmp_path, recording, saved):
    hyp, found, before = scored_and_edited(tmp_path, recording)
    after_last = state(hyp)
    if saved:
        found.session.save()  # closed: the history compacted with the snapshot
    found.session.detach()  # crashed: only what each step appended

    again, second = open_session(tmp_path, recording)
    atol = 0.0 if saved else 1e-4
    assert second.restored and not second.notes and same(again, after_last, atol)
    assert [e.description for e in again.history()[0]] == [
        "REM for epochs 10-19", "confirm epochs 30-44", "Wake for epochs 15-34"]
    assert again.redo().description == "Artifact for epoch 100"
    assert again.stages[100] == Stage.ARTIFACT and again.sources[100] == Source.EXPERT
    again.undo()
    for expected in reversed(before[:3]):
        again.undo()
        assert same(again, expected, atol)  # labels and who set them exactly; confidence
    assert not again.can_undo  # the first scoring was never an undo step
    assert again.redo() and again.redo() and same(again, before[2], atol)


def test_a_reopened_history_keeps_growing_and_survives_the_next_reopen(tmp_path, recording):
    hyp, found, before = scored_and_edited(tmp_path, recording)
    found.session.detach()
    again, second = open_session(tmp_path, recording)
    again.undo()  # the third edit
    again.set_stage(200, 210, Stage.NREM)  # a new edit drops the redo steps
    expected = state(again)
    second.session.detach()
    third, found3 = open_session(tmp_path, recording)
    assert not found3.notes and same(third, expected, 1e-4) and not third.can_redo
    third.undo()
    third.undo()
    assert same(third, before[1], 1e-4)


def test_a_first_scoring_is_not_kept_as_a_step_and_labels_before_it_undo_to_the_model(
        tmp_path, recording):
    hyp, found = open_session(tmp_path, recording)
    hyp.set_stage(5, 8, Stage.REM)  # typed while the model scored
    p = np.full((N, 3), 0.1, np.float32)
    p[:, 1] = 0.8
    hyp.apply_model(p, CLASSES)  # the history itself changes: rewritten at once
    found.session.detach()
    again, second = open_session(tmp_path, recording)
    assert len(again.history()[0]) == 1
    again.undo()
    assert (again.stages[5:8] == Stage.NREM).all() and (again.sources == Source.MODEL).all()


def test_bounded_to_the_last_steps_and_epochs(tmp_path, recording, monkeypatch):
    hyp, found = open_session(tmp_path, recording)
    states = []
    for i in range(edit_history.STEPS + 50):
        states.append(state(hyp))
        hyp.set_stage(i % N, i % N + 1 + i % 3, Stage(1 + i % 3))
    found.session.save()
    lines = found.session.history.path.read_text().splitlines()
    assert len(lines) == 1 + edit_history.STEPS
    found.session.detach()
    again, _ = open_session(tmp_path, recording)
    assert len(again.history()[0]) == edit_history.STEPS
    while again.can_undo:
        again.undo()
    assert same(again, states[50])

    monkeypatch.setattr(edit_history, "EPOCHS", 10)
    undo, redo = edit_history.bounded(*again.history())
    assert sum(len(e.new_stages) for e in undo + redo) <= 10 and redo[-1] is again.history()[1][-1]


def damage_history(path: Path) -> None:
    lines = path.read_text().splitlines()
    line = json.loads(lines[2])
    line["stages"][0] = line["stages"][0][:-4] + "AAAA"
    lines[2] = json.dumps(line)
    path.write_text("\n".join(lines) + "\n")


def edit_the_snapshot(path: Path) -> None:
    with np.load(path) as z:
        arrays = dict(z)
    arrays["stages"][300:310] = Stage.REM  # labels changed outside the app
    np.savez(path, **arrays)


def other_recordings_history(path: Path) -> None:
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["fingerprint"] = "0" * 64
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")


@pytest.mark.parametrize("spoil, said", [
    (damage_history, "damaged"),
    (lambda path: path.write_bytes(b"\x00garbage\n{not json\n[1]\n"), "damaged"),
    (lambda path: path.write_text(path.read_text().splitlines()[0] + "\n[1]\n"), "damaged"),
    (lambda path: path.write_text(path.read_text() + '{"step": "undo"}\n'), "saved labels"),
    (other_recordings_history, "another recording"),
    ("snapshot", "saved labels"),
], ids=["bad-bytes", "garbage", "not-a-step", "extra-step", "other-recording",
        "edited-labels"])
def test_a_history_that_does_not_fit_is_dropped_never_the_labels(tmp_path, recording, spoil,
                                                                 said):
    hyp, found, _ = scored_and_edited(tmp_path, recording)
    found.session.save()
    if spoil == "snapshot":
        edit_the_snapshot(found.session.snapshot_path)
        labels = np.load(found.session.snapshot_path)["stages"]
    else:
        spoil(found.session.history.path)
        labels = hyp.stages.copy()
    found.session.detach()

    again, second = open_session(tmp_path, recording)
    assert second.restored and np.array_equal(again.stages, labels)
    assert not again.can_undo and not again.can_redo
    assert len(second.notes) == 1 and "undo history" in second.notes[0] and said in second.notes[0]
    assert (second.session.folder / "history-dropped.jsonl").exists()
    again.set_stage(0, 3, Stage.WAKE)  # a fresh history starts at once
    second.session.detach()
    third, found3 = open_session(tmp_path, recording)
    assert not found3.notes and third.undo() is not None and np.array_equal(third.stages, labels)


def test_a_line_cut_short_at_the_end_is_ignored(tmp_path, recording):
    hyp, found, before = scored_and_edited(tmp_path, recording)
    found.session.detach()
    with found.session.history.path.open("a") as fh:
        fh.write('{"step": "do", "start": 3')
    again, second = open_session(tmp_path, recording)
    assert not second.notes and len(again.history()[0]) == 3


def test_kill_9_mid_session_keeps_the_undo_history(tmp_path, recording):
    kill_when_ready(CHILD, str(tmp_path / "sessions"), str(recording), wait_s=10)
    hyp, found = SessionStore(tmp_path / "sessions").open(recording, lambda el: 600, 1.0)
    assert found.restored and not found.notes
    undo, redo = hyp.history()
    assert len(undo) == 49 and len(redo) == 1
    hyp.redo()  # the edit undone just before the kill
    assert (hyp.stages[490:493] == Stage.REM).all() and (hyp.sources[490:493] == Source.EXPERT).all()
    for _ in range(50):
        hyp.undo()
    assert (hyp.stages == Stage.NREM).all() and (hyp.sources == Source.MODEL).all()
    assert np.allclose(hyp.confidence, 0.8)  # the model's, as before the first edit
