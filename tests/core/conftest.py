"""Fixtures shared by the core tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def recording(tmp_path) -> Path:
    """A file that stands for a recording: the session store only fingerprints its bytes."""
    path = tmp_path / "rec.edf"
    path.write_bytes(np.random.default_rng(0).bytes(2_000_000))
    return path
