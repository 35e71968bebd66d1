"""Shared fixtures: where the real data lives (../shared/data beside the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not found at {path} (expected ../shared/data beside the repo)")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The shared data folder; tests using it skip when it is absent."""
    return _need(SHARED_DATA)


@pytest.fixture
def openephys_dir() -> Path:
    """The real 29-min Open Ephys mouse recording: it ships as the demo, so never skipped."""
    from sleepscorer.resources import resource_path

    path = resource_path("demo", "openephys-mouse-29min")
    assert (path / "EEG.continuous").is_file(), f"the bundled demo recording is missing: {path}"
    return path


@pytest.fixture
def misleep_dir() -> Path:
    return _need(SHARED_DATA / "real" / "misleep-10min")


@pytest.fixture
def mssv_dir() -> Path:
    return _need(SHARED_DATA / "mssv-hypnograms")
