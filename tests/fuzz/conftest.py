"""The fuzz suite's shared model and its tally, printed at the end of the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.harness import KINDS, TALLY


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from sleepscorer_model.weights import build_model, save_model

    from tests.model.conftest import TINY

    path = tmp_path_factory.mktemp("fuzz-model") / "m.safetensors"
    save_model(build_model("sdreamer-seq", **TINY), path)
    return path


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if TALLY["tried"]:
        cells = ", ".join(f"{k} {TALLY[k]}" for k in KINDS)
        terminalreporter.write_line(f"fuzz tally: {cells}")
