"""`sleepscorer selftest`: check an installation (source, wheel or frozen app) end to end.

Scores the bundled demo recording, exports and checks the labels CSV, then starts Qt on
the offscreen platform. Prints one line per check; exit status 0 when all pass, 1 when a
check fails, 2 for a `SleepScorerError` (e.g. the bundled weights are missing).
A thin shell over `sleepscorer.core.selftest`.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

from sleepscorer.cli.arguments import named_path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "selftest",
        help="check this installation: score the bundled demo and check the exported CSV",
        description="Score the bundled demo recording with the bundled weights, export the "
                    "labels CSV, check it, and start Qt offscreen. Runs headless.",
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where to run the model (default: auto, a GPU when there is one)")
    parser.add_argument("--keep", metavar="DIR", type=named_path,
                        help="write the CSV into DIR and keep it (default: a temporary folder)")
    parser.add_argument("--no-qt", action="store_true",
                        help="skip the Qt check (for machines without Qt's system libraries)")
    parser.set_defaults(func=run)


def _show(check) -> None:
    print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}", flush=True)


def score_with_model(recording, **kwargs):  # noqa: ANN001, ANN003, ANN201
    """The self-test's scorer: `model.inference.score`, imported when the step runs so a
    missing module in a frozen app is one failed check, not a traceback."""
    from sleepscorer_model.inference import score

    return score(recording, **kwargs)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless, also in the frozen app
    from sleepscorer import __version__
    from sleepscorer.core.selftest import run_selftest

    frozen = "frozen app" if getattr(sys, "frozen", False) else "python"
    print(f"sleepscorer {__version__} self-test ({frozen}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()})", flush=True)
    extra = ()
    if not args.no_qt:
        from sleepscorer.gui.selftest_qt import check_qt

        extra = (check_qt,)
    report = run_selftest(score_with_model, device=args.device, keep=args.keep, extra_checks=extra, on_check=_show)
    passed = sum(c.ok for c in report.checks)
    verdict = "passed" if report.ok else "FAILED"
    print(f"self-test {verdict}: {passed}/{len(report.checks)} checks in {report.seconds:.1f} s")
    if report.csv_path is not None and report.csv_path.exists():
        kept = [report.csv_path, *sorted(report.csv_path.parent.glob("selftest-*.edf"))]
        print("kept " + ", ".join(str(p) for p in kept))
    return 0 if report.ok else 1
