"""REM only from NREM: the rule, the probabilities it changes, and the real wake recording."""

import numpy as np
import pytest
from sleepscorer_model.postprocess import RemRule, apply_rem_rule, rem_without_nrem

from sleepscorer.stages import Stage

W, N, R = 0, 1, 2


def seq(*parts):
    return np.concatenate([np.full(n, s) for s, n in parts])


@pytest.mark.parametrize(("states", "dropped"), [
    (seq((W, 100), (R, 20)), 20),                      # sleep-onset REM from wake
    (seq((N, 30), (R, 20)), 0),                        # the normal way in
    (seq((N, 30), (W, 40), (R, 20)), 0),               # a short awakening in between
    (seq((N, 30), (W, 90), (R, 20)), 20),              # a long awakening: REM from wake
    (seq((W, 100), (N, 5), (R, 20)), 20),              # a 5-s NREM blip is not NREM enough
    (seq((N, 30), (R, 10), (W, 5), (R, 10)), 0),       # a REM bout broken by a twitch
    (seq((W, 100), (R, 10), (W, 5), (R, 10)), 20),     # ... but only when the first was kept
    (seq((R, 20), (N, 30)), 20),                       # the recording's start is not NREM
])
def test_rem_is_kept_only_after_nrem(states, dropped):
    drop = rem_without_nrem(states, W, N, R)
    assert drop.sum() == dropped and (states[drop] == R).all()


def test_thresholds_are_seconds_whatever_the_epoch_length():
    states = seq((N, 3), (W, 10), (R, 5))  # 4-s epochs: 12 s NREM, 40 s wake
    assert not rem_without_nrem(states, W, N, R, epoch_length=4.0).any()
    assert rem_without_nrem(states, W, N, R, epoch_length=4.0,
                            rule=RemRule(max_wake_gap_s=30.0)).sum() == 5


def test_dropped_rem_probability_goes_to_wake_and_nothing_else_moves():
    p = np.tile([0.2, 0.1, 0.7], (10, 1))
    p[:5] = [0.1, 0.8, 0.1]  # too short as NREM, so the REM after it is dropped
    out, changed = apply_rem_rule(p, (Stage.WAKE, Stage.NREM, Stage.REM))
    assert changed == 5 and np.allclose(out[5:], [0.9, 0.1, 0.0]) and np.allclose(out[:5], p[:5])
    assert np.allclose(out.sum(1), 1.0) and p[5, 2] == 0.7  # the input is not changed
    same, none = apply_rem_rule(p, (Stage.WAKE, Stage.NREM))
    assert same is p and none == 0


def test_real_wake_recording_is_not_scored_as_sleep(misleep_dir):
    """The MiSleep .mat is mostly wake (data README): 57 % of it was REM before the REM rule,
    46 % NREM for the first spectral model (per-recording scaling alone); the shape features
    and sequence decoding keep it Wake."""
    from sleepscorer_model.inference import score
    from sleepscorer_model.weights import default_weights_path

    from sleepscorer.io import load_recording

    if not default_weights_path().exists():
        pytest.skip("no bundled weights")
    result = score(load_recording(misleep_dir / "10mins_example_mat.mat"), device="cpu")
    assert (result.stages == Stage.WAKE).mean() > 0.9
