"""`sleepscorer --help`, `--version` and every `COMMAND --help` import no torch, numpy, model code or Qt.

Each case runs in a fresh interpreter: the test process itself has long imported torch.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "sleepscorer_model", "PySide6", "lightgbm", "mne", "safetensors", "numpy", "scipy")

CHECK = """
import sys
from sleepscorer.cli import build_parser, main
parser = build_parser()
commands = sorted(parser._subparsers._group_actions[0].choices)
assert {{"score", "train", "finetune", "gui"}} <= set(commands), commands
for argv in ([{first!r}],) if {first!r} != "EVERY" else ([c, "--help"] for c in commands):
    try:
        main(list(argv))
    except SystemExit as exc:
        assert exc.code == 0, (argv, exc.code)
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
assert not heavy, f"imported {{heavy}}"
print("NO-HEAVY-IMPORTS")
"""


@pytest.mark.parametrize("first", ["--help", "--version", "EVERY"])
def test_help_and_version_import_no_torch(first: str) -> None:
    code = CHECK.format(first=first, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("NO-HEAVY-IMPORTS")
