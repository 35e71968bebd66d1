"""The bottom layer's vocabulary: stage names, the epoch grid, the one run-length encoding,
and the one device choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sleepscorer.stages import (
    BASE_EPOCH,
    EXPORT_EPOCH_LENGTHS,
    MODEL_CLASSES_3,
    Stage,
    grid_ratio,
    mask_runs,
    n_epochs,
    on_grid,
    runs,
    stage_names,
    stages_from_names,
)

ROOT = Path(__file__).resolve().parents[1]


def test_runs_of_equal_values():
    values, starts, stops = runs(np.array([0, 0, 1, 1, 1, 0], np.int8))
    assert values.tolist() == [0, 1, 0] and values.dtype == np.int8
    assert starts.tolist() == [0, 2, 5] and stops.tolist() == [2, 5, 6]
    values, starts, stops = runs([])
    assert len(values) == len(starts) == len(stops) == 0
    values, starts, stops = runs([2])
    assert (values.tolist(), starts.tolist(), stops.tolist()) == ([2], [0], [1])
    # decoding gives the input back
    x = np.random.default_rng(0).integers(-1, 3, 500)
    v, a, b = runs(x)
    assert np.array_equal(np.repeat(v, b - a), x)


def test_mask_runs():
    assert mask_runs([False, True, True, False, True]) == [(1, 3), (4, 5)]
    assert mask_runs([True, True]) == [(0, 2)]
    assert mask_runs([]) == [] and mask_runs([False]) == []


def test_epoch_grid():
    assert BASE_EPOCH == 1.0 and EXPORT_EPOCH_LENGTHS[0] == BASE_EPOCH
    assert grid_ratio(1.0, 2.0) == (1, 2)
    assert grid_ratio(1.0, 2.5) == (2, 5)
    assert grid_ratio(2.5, 1.0) == (5, 2)  # 2.5 s -> five 0.5 s -> two make 1 s
    assert all(grid_ratio(BASE_EPOCH, e)[1] >= 1 for e in EXPORT_EPOCH_LENGTHS)
    with pytest.raises(ValueError, match="no simple common divisor"):
        grid_ratio(1.0, 1 / 3 + 1e-4)
    assert on_grid(2.5) and on_grid(0.5) and on_grid(10) and not on_grid(0.37)
    assert n_epochs(29.0 * 60) == 1740 and n_epochs(9.99, 2.5) == 3 and n_epochs(10.0, 2.5) == 4


def test_stage_names_round_trip():
    assert stage_names(MODEL_CLASSES_3) == ["WAKE", "NREM", "REM"]
    assert stages_from_names(["WAKE", "NREM", "REM"]) == MODEL_CLASSES_3
    assert [s.label for s in MODEL_CLASSES_3] == ["Wake", "NREM", "REM"]
    assert all(Stage.from_name(s.name) is s and Stage.from_name(s.label) is s for s in Stage)
    with pytest.raises(KeyError):
        stages_from_names(["SLEEPY"])


def test_device_choice_lives_in_one_place():
    """Only model/device.py asks torch whether CUDA is there."""
    found = [str(p.relative_to(ROOT)) for folder in ("sleepscorer", "model", "scripts",
                                                      "benchmarks")
             for p in (ROOT / folder).rglob("*.py")
             if "cuda.is_available(" in p.read_text(encoding="utf-8")]
    assert found == ["model/device.py"]


def test_pick_device():
    torch = pytest.importorskip("torch")
    from sleepscorer_model.device import pick_device

    from sleepscorer.errors import ModelError

    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("cpu", index=1) == torch.device("cpu")
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ModelError, match="unknown device 'tpu'"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="no usable NVIDIA GPU"):
            pick_device("cuda")
    else:
        assert pick_device("cuda", index=0) == torch.device("cuda", 0)
