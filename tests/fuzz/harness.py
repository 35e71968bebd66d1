"""Run the `sleepscorer` CLI in-process on a bad input and judge the result.

Every run checks: the exit status, exactly one `error:` line naming the file (for errors),
no traceback, no stray Python warning, no hang (an alarm), and the inputs byte-identical
afterwards (contents, plus the type of FIFOs and links). The verdicts are tallied; the
fuzz conftest prints the tally at the end of the session.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import stat
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TALLY: Counter[str] = Counter()
KINDS = ("tried", "clean errors", "handled correctly", "tracebacks", "hangs", "silently wrong",
         "inputs modified")


class Hang(Exception):
    pass


@dataclass
class Outcome:
    status: int | None
    out: str
    err: str
    trace: str | None = None
    hung: bool = False
    modified: list[str] = field(default_factory=list)

    @property
    def error_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.startswith("error:")]


def _fingerprint(path: Path) -> dict[str, str]:
    """Contents of every file under `path` (FIFOs and devices by type only, never opened)."""
    found: dict[str, str] = {}
    paths = [path]
    if path.is_dir() and not path.is_symlink():
        paths += sorted(p for p in path.rglob("*"))
    for p in paths:
        try:
            st = os.lstat(p)
        except OSError:
            found[str(p)] = "missing"
            continue
        if stat.S_ISLNK(st.st_mode):
            found[str(p)] = f"link:{os.readlink(p)}"
        elif stat.S_ISREG(st.st_mode):
            found[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest() + f":{st.st_mode:o}"
        elif stat.S_ISDIR(st.st_mode):
            found[str(p)] = "dir"
        else:
            found[str(p)] = f"special:{stat.S_IFMT(st.st_mode):o}"
    return found


def run_cli(argv: list[str], inputs: list[Path], timeout_s: float = 30.0) -> Outcome:
    from sleepscorer.cli import main

    before: dict[str, str] = {}
    for p in inputs:
        before.update(_fingerprint(Path(p)))
    out, err = io.StringIO(), io.StringIO()
    status, trace, hung = None, None, False

    def alarm(signum, frame):  # noqa: ANN001, ARG001
        raise Hang()

    timed = hasattr(signal, "SIGALRM")  # a hang is caught where the platform allows
    previous = signal.signal(signal.SIGALRM, alarm) if timed else None
    if timed:
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("default")
                try:
                    status = main([str(a) for a in argv])
                except SystemExit as exc:
                    status = exc.code if isinstance(exc.code, int) else 2
    except Hang:
        hung = True
    except BaseException:  # noqa: BLE001 - that is exactly what is being counted
        trace = traceback.format_exc()
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    after: dict[str, str] = {}
    for p in inputs:
        after.update(_fingerprint(Path(p)))
    modified = sorted(k for k in before if after.get(k) != before[k])
    return Outcome(status, out.getvalue(), err.getvalue(), trace, hung, modified)


@dataclass
class Case:
    """A bad input: `build(tmp, model)` makes the files and returns (argv, inputs).

    expect: "error" (exit 2, one error line naming `names` or the first input, containing
    `match`), "ok" (exit 0 and `check` holds), or "either" (a clean error, or exit 0 with
    `check` holding: what the file really holds was read).
    """

    id: str
    build: Callable[[Path, Path], tuple[list, list[Path]]]
    expect: str = "error"
    match: str | None = None
    names: str | None = None
    check: Callable[[Path, Outcome], str | None] | None = None  # None when right, else why


def judge(case: Case, o: Outcome, tmp: Path, inputs: list[Path]) -> tuple[str, str]:
    """(verdict, reason): verdict is one of KINDS[1:]."""
    if o.hung:
        return "hangs", "the command did not finish"
    if o.trace is not None or "Traceback" in o.err:
        return "tracebacks", (o.trace or o.err)[-1500:]
    if o.modified:
        return "inputs modified", ", ".join(o.modified)
    stray = [ln for ln in o.err.splitlines() if "Warning:" in ln and not ln.startswith("warning:")]
    if stray:
        return "tracebacks", f"stray Python warning: {stray[0]}"
    if o.status == 2 and case.expect in ("error", "either"):
        lines = o.error_lines
        name = case.names if case.names is not None else (Path(inputs[0]).name if inputs else "")
        if len(lines) != 1:
            return "silently wrong", f"expected one error line, got {lines or o.err!r}"
        if name and name not in lines[0]:
            return "silently wrong", f"the error does not name {name}: {lines[0]}"
        if case.match and case.match not in lines[0]:
            return "silently wrong", f"expected {case.match!r} in {lines[0]}"
        if "unexpected" in lines[0]:
            return "tracebacks", f"an unexpected exception, only caught by the safety net: {lines[0]}"
        return "clean errors", lines[0]
    if o.status == 0 and case.expect in ("ok", "either"):
        why = case.check(tmp, o) if case.check is not None else None
        if why:
            return "silently wrong", why
        return "handled correctly", ""
    return "silently wrong", f"exit status {o.status} (expected {case.expect}); stderr: {o.err[-800:]}"
