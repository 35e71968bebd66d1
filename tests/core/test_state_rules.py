"""Rule-based segmentation: finds Wake/NREM on simulated data, stimulation from a trigger."""

from __future__ import annotations

import numpy as np
import pytest
from sleepscorer_model.simulation import get_lab, simulate_session

from sleepscorer.core import state_rules
from sleepscorer.io.recording import Channel, ChannelKind, Recording
from sleepscorer.stages import Stage


@pytest.fixture(scope="module")
def session():
    stages = np.concatenate([np.full(n, s) for s, n in (
        (Stage.WAKE, 200), (Stage.NREM, 400), (Stage.REM, 90), (Stage.WAKE, 150),
        (Stage.NREM, 300), (Stage.WAKE, 100))]).astype(np.int8)
    return simulate_session(stages, rate=256, seed=11, animal=get_lab("lab_a").typical,
                            stim_onsets_s=[1150.0])


def test_rules_find_wake_and_nrem(session):
    result = state_rules.segment(session.recording)
    truth = session.hypnogram.stages
    assert len(result.stages) == len(truth)
    keep = ~result.stimulation
    for stage in (Stage.WAKE, Stage.NREM):
        m = (truth == stage) & keep
        assert (result.stages[m] == stage).mean() > 0.7, stage
    assert (result.stages[keep] == truth[keep]).mean() > 0.75
    assert set(result.thresholds) == {"emg_wake_factor", "log10_theta_delta", "log10_delta_floor"}


def test_rules_call_rem_only_after_nrem(session):
    stages = state_rules.segment(session.recording).stages
    rem = np.flatnonzero(stages == Stage.REM)
    assert len(rem) > 0
    # the rules are a calibration aid, not the scorer: half their REM calls must be REM
    assert (session.hypnogram.stages[rem] == Stage.REM).mean() > 0.45
    starts = rem[np.concatenate([[True], np.diff(rem) > 1])]
    assert all(stages[s - 1] == Stage.NREM for s in starts if s > 0)


def test_stimulation_epochs_from_trigger(session):
    result = state_rules.segment(session.recording)
    on = np.flatnonzero(result.stimulation)
    assert on.min() >= 1148 and on.max() <= 1172 and result.stimulation[1152:1168].all()


def test_stimulation_epochs_from_plain_pulse_channel():
    rate = 100.0
    x = np.zeros(int(60 * rate), dtype=np.float32)
    for t in np.arange(10, 30, 0.05):  # 20 Hz, 10 ms pulses
        x[int(t * rate)] = 5.0
    trig = Channel("ADC1", ChannelKind.OTHER, x, rate, "V")
    mask = state_rules.stimulation_epochs(trig, 60, 1.0, pad_s=0)
    assert mask[10:30].all() and not mask[:10].any() and not mask[31:].any()
    rec = Recording([trig], source=None)  # type: ignore[arg-type]
    assert state_rules.find_trigger(rec) is trig


def test_volts_honours_units():
    ch = Channel("EEG", ChannelKind.EEG, np.ones(4, np.float32) * 20, 100.0, "uV")
    assert state_rules.volts(ch)[0] == pytest.approx(20e-6)
