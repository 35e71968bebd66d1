"""Shared fixtures: where the real data lives (../shared/data beside the repository)."""

from __future__ import annotations

import os
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


_FINAL_STATUS: list[int] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    """Let Qt's pool threads and deferred deletions finish, and keep the run's exit status for
    `pytest_unconfigure`."""
    import gc
    import sys

    _FINAL_STATUS[:] = [int(exitstatus)]
    if "PySide6.QtCore" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool

    QThreadPool.globalInstance().waitForDone(10000)
    app = QCoreApplication.instance()
    if app is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    gc.collect()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):  # noqa: ARG001
    """Leave before Python tears the interpreter down when Qt was loaded. PySide6 and pyqtgraph
    objects destroyed in arbitrary order at interpreter exit can crash the process after every
    test has passed and been reported: CI saw SIGSEGV after the summary line twice, the second
    time with the drain above in place. Every report and cache is written by now, so the run
    exits with pytest's own status (pyqtgraph documents this as its second remedy, `pg.exit`)."""
    import sys

    if "PySide6.QtCore" not in sys.modules or not _FINAL_STATUS:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_FINAL_STATUS[0])
