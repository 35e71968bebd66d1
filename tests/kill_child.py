"""A child Python that works until it prints "ready", then dies by SIGKILL: the crash that
the session's journal and undo history must survive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def kill_when_ready(code: str, *args: object, wait_s: float = 20) -> int:
    """Run `code` with `args`, SIGKILL it once it prints "ready"; its return code."""
    child = subprocess.Popen([sys.executable, "-c", code, *map(str, args)],
                             stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout.readline().strip() == "ready"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(wait_s)
    return child.returncode
