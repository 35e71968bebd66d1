"""States during and after each stimulation train of a trigger channel (core and `stats`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sleepscorer.cli import main
from sleepscorer.core.stimulation import around_trains, find_trains
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io import Channel, ChannelKind, Recording, write_edf
from sleepscorer.io.labels import write_labels_csv
from sleepscorer.stages import Stage

RATE = 100.0
W, N = Stage.WAKE, Stage.NREM


def stimulated(seconds: int = 600, trains=((100, 120), (400, 420))) -> Recording:
    rng = np.random.default_rng(0)
    n = int(seconds * RATE)
    trigger = 0.01 * rng.normal(size=n)
    for a, b in trains:  # 10-Hz pulses of 10 ms, as an optogenetic train
        for t in np.arange(a, b, 0.1):
            trigger[int(t * RATE):int(t * RATE) + 1] = 5.0
    return Recording([Channel("EEG1", ChannelKind.EEG, rng.normal(size=n).astype(np.float32), RATE),
                      Channel("EMG1", ChannelKind.EMG, rng.normal(size=n).astype(np.float32), RATE),
                      Channel("Laser TTL", ChannelKind.OTHER, trigger.astype(np.float32), RATE)],
                     Path("stim.edf"))


def test_each_train_with_the_states_during_and_after_it():
    rec = stimulated()
    channel, ranges = find_trains(rec, 600)
    assert channel == "Laser TTL" and ranges == [(100, 120), (400, 420)]
    stages = np.full(600, N, np.int8)
    stages[100:150] = W  # the first train wakes the animal for 30 s after it
    stages[400:410] = W  # the second only half of it
    first, second = around_trains(stages, ranges)
    assert first.during == {W: 1.0} and first.after == {W: 0.5, N: 0.5}
    assert first.sleep_after_s == 30.0
    assert second.during == {W: 0.5, N: 0.5} and second.sleep_after_s == 0.0


def test_no_trigger_no_trains():
    rec = stimulated()
    plain = Recording(rec.channels[:2], rec.source)
    assert find_trains(plain, 600) is None


def test_stats_with_the_recording_prints_and_writes_each_train(tmp_path, capsys):
    edf = tmp_path / "stim.edf"
    write_edf(stimulated(), edf)
    stages = np.full(600, N, np.int8)
    stages[100:150] = W
    labels = tmp_path / "labels.csv"
    write_labels_csv(Hypnogram.from_arrays(stages), labels)
    out = tmp_path / "stats.json"
    assert main(["stats", str(labels), "--recording", str(edf), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "stimulation: 2 train(s) on 'Laser TTL'" in text
    assert "0:01:40-0:02:00: during Wake 100 %" in text and "asleep after 30 s" in text
    trains = json.loads(out.read_text())["stimulation"]["trains"]
    assert [t["start_s"] for t in trains] == [100.0, 400.0] and trains[0]["sleep_after_s"] == 30.0


def test_one_nrem_second_inside_wake_is_not_falling_asleep():
    """A user trial: on the demo, 'asleep after 88 s' counted a single NREM epoch inside
    sustained Wake; sleep after a train now means what sleep latency means (a 60-s run)."""
    stages = np.full(600, W, np.int8)
    stages[200] = N  # a blip
    stages[300:400] = N  # falling asleep
    (train,) = around_trains(stages, [(100, 120)])
    assert train.sleep_after_s == 180.0
