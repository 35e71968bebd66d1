"""Every generated bad input (tests/fuzz/cases.py) through the real CLI, in-process: a clean
one-line error naming the file, or the right result; never a traceback, a hang, a silently
wrong result or a changed input."""

from __future__ import annotations

import pytest

from tests.fuzz.cases import all_cases
from tests.fuzz.harness import TALLY, judge, run_cli

CASES = all_cases()


def test_there_are_enough_cases():
    assert len(CASES) >= 120


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tmp_path, tiny_model):
    argv, inputs = case.build(tmp_path, tiny_model)
    outcome = run_cli(argv, inputs)
    verdict, reason = judge(case, outcome, tmp_path, inputs)
    TALLY["tried"] += 1
    TALLY[verdict] += 1
    assert verdict in ("clean errors", "handled correctly"), f"{verdict}: {reason}"
