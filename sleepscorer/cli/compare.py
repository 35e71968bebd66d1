"""`sleepscorer compare A B`: how well two scorings of one recording agree (agreement,
Cohen's kappa, per-state F1, confusion matrix), e.g. the model against a lab's scorer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sleepscorer.cli.arguments import named_path, seconds_from, seconds_to
from sleepscorer.cli.scoring import wrote_line
from sleepscorer.errors import SleepScorerError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="agreement, Cohen's kappa, per-state F1 and confusion of two label files",
        description="Compare two scorings of the same recording epoch by epoch; A is the "
                    "reference (rows of the confusion matrix). Epochs unscored in either are "
                    "left out. Files at different epoch lengths are compared at the coarser.")
    parser.add_argument("a", type=named_path, help="reference labels (e.g. the expert's)")
    parser.add_argument("b", type=named_path, help="labels to check (e.g. the model's)")
    parser.add_argument("--file-epoch-length", "--epoch-length", dest="epoch_length",
                        type=float, default=None, metavar="S",
                        help="epoch length in s of files that do not record it (AccuSleep, "
                             ".mat; default 1)")
    parser.add_argument("--from", dest="start_s", type=seconds_from, default=None,
                        metavar="SECONDS", help="compare only epochs from this many seconds into "
                                                "the recording (default: its start)")
    parser.add_argument("--to", dest="stop_s", type=seconds_to, default=None, metavar="SECONDS",
                        help="compare only epochs ending by this many seconds (default: the "
                             "end both files cover)")
    parser.add_argument("--exclude-labelled", type=named_path, default=None, metavar="FILE",
                        help="leave out the epochs a person labelled in this corrected label "
                             "file (its source column: expert or imported), e.g. the epochs a "
                             "model was fine-tuned on; or name the recording, and the app's "
                             "saved session of it is read (no export needed)")
    parser.add_argument("-o", "--out", type=named_path, default=None,
                        help="also write the figures as .json (A and B named in it)")
    parser.set_defaults(func=run)


def _empty_range(args: argparse.Namespace) -> str | None:
    """A --to not above --from, refused before any file is read: `--from 20 --to 10` was
    blamed on the second file, as "the range 20-10 s is empty"."""
    if args.start_s is not None and args.stop_s is not None and args.stop_s <= args.start_s:
        return (f"argument --to: {args.stop_s:g} must be above --from {args.start_s:g} (the "
                f"range from {args.start_s:g} s to {args.stop_s:g} s is empty)")
    return None


def run(args: argparse.Namespace) -> int:
    from sleepscorer.core.compare import compare, format_comparison, write_comparison
    from sleepscorer.io.labels import (
        assumed_length_note,
        read_labels_as_recorded,
        unused_length_note,
    )
    from sleepscorer.io.outputs import check_output_file

    if problem := _empty_range(args):
        raise SleepScorerError(None, problem)
    out = args.out
    inputs = [p for p in (args.a, args.b, args.exclude_labelled) if p]
    if out is not None:  # a bad --out is refused before any figure is printed
        if out.suffix.lower() != ".json":
            raise SleepScorerError(out, "--out must end with .json")
        check_output_file(out, inputs, replaces="comparison")  # never a record or labels
    a = read_labels_as_recorded(args.a, args.epoch_length)
    b = read_labels_as_recorded(args.b, args.epoch_length)
    selection = None
    if args.start_s is not None or args.stop_s is not None or args.exclude_labelled:
        selection = _selection(args, a, b)
    result = compare(a, b, selection=selection)
    if result.n_compared == 0:
        raise SleepScorerError(args.b, "no epoch is scored in both files; check that they are "
                                       "for the same recording")
    warnings = [w for path, hyp in ((args.a, a), (args.b, b)) for w in (
        *hyp.warnings, assumed_length_note(path, hyp, args.epoch_length is not None,
                                           "--file-epoch-length")) if w]
    warnings.append(unused_length_note([a, b], args.epoch_length, "--file-epoch-length"))
    if args.a.resolve() == args.b.resolve():
        warnings.append(f"{args.a} is compared with itself: 100 % says nothing")
    name_a, name_b = names(args.a, args.b)
    warnings.append(length_mismatch(a, b, name_a, name_b, guess=args.epoch_length is None))
    for warning in dict.fromkeys(w for w in warnings if w):  # each once
        print(f"warning: {warning}", file=sys.stderr)
    print(format_comparison(result, name_a, name_b))
    if out is not None:
        check_output_file(out, inputs, replaces="comparison")  # still safe after the reading
        replacing = out.is_file() and out.stat().st_size > 0  # an earlier comparison
        write_comparison(result, out, names=(name_a, name_b), inputs=inputs)
        print(wrote_line(out, replacing))
    return 0


def names(a: Path, b: Path) -> tuple[str, str]:
    """What A and B are called in the figures and in --out's `a` and `b`: their file names,
    as the app's export names them; the paths as given when the names are the same
    (day1/labels.csv against day2/labels.csv). Why: the JSON named neither file, so which
    one the confusion matrix's rows are could not be told."""
    if a.name != b.name:
        return a.name, b.name
    return str(a), str(b)


def _selection(args: argparse.Namespace, a, b):  # noqa: ANN001, ANN202
    """The epochs --from/--to/--exclude-labelled leave to compare, or one clear error."""
    from sleepscorer.core.compare import compared_length, select_epochs

    excluded, name = None, ""
    if args.exclude_labelled:
        excluded, name = _person_labels(args.exclude_labelled, args.epoch_length)
        if not excluded.is_person_labelled().any():
            raise SleepScorerError(args.exclude_labelled,
                                   "holds no epoch a person labelled (source expert or imported)"
                                   "; give the corrected labels a model was fine-tuned on")
    length = compared_length(a, b)
    try:  # the range alone first: what is wrong with it is the arguments', not a file's
        select_epochs(*length, args.start_s, args.stop_s)
    except ValueError as exc:
        raise SleepScorerError(None, str(exc)) from None
    try:
        return select_epochs(*length, args.start_s, args.stop_s, excluded, name)
    except ValueError as exc:
        raise SleepScorerError(args.exclude_labelled, str(exc)) from None


def _person_labels(path: Path, epoch_length: float | None):  # noqa: ANN202
    """The labels --exclude-labelled names and how to call them: a label file, or a recording
    whose saved app session holds a person's corrections (read as the app opens it)."""
    from sleepscorer.io.discover import recording_format
    from sleepscorer.io.labels import read_labels_as_recorded

    if not (path.is_dir() or (path.is_file() and recording_format(path))):
        return read_labels_as_recorded(path, epoch_length), path.name
    from sleepscorer.core.session_store import SessionStore
    from sleepscorer.hypnogram import Hypnogram

    session = SessionStore().session_for(path)
    layout = session.saved_layout() if session.exists() else None
    if layout is None:
        raise SleepScorerError(path, "is a recording with no saved session in the app; correct "
                                     "it there first, or give the corrected label file")
    hyp = Hypnogram(*layout)
    session.load_into(hyp)
    return hyp, f"the app's saved session of {path.name}"


def length_mismatch(a, b, name_a: str, name_b: str, guess: bool = True) -> str:  # noqa: ANN001
    """A warning when the two files cover clearly different durations (more than 2 epochs
    of the coarser length and 1 %): two scorings of one recording end together, so such a
    pair is most likely two recordings, and its figures mean nothing. With `guess`, a file
    that records no epoch length and would cover the other's time at a longer one says so
    (4-s AccuSleep labels read as 1-s ones agreed 54 %, kappa -0.06)."""
    from sleepscorer.io.labels import covering_epoch_length

    da, db = len(a) * a.epoch_length, len(b) * b.epoch_length
    slack = max(2 * max(a.epoch_length, b.epoch_length), 0.01 * max(da, db))
    if abs(da - db) <= slack:
        return ""
    text = (f"{name_a} covers {da:g} s and {name_b} {db:g} s: are they scorings of the same "
            "recording? Only the seconds both cover are compared")
    for hyp, name, other in ((a, name_a, db), (b, name_b, da)):
        fits = covering_epoch_length(len(hyp), other) if guess and not hyp.recorded_epoch_length \
            else None
        if fits:
            text += (f". {name} does not record its epoch length: at one label per {fits:g} s "
                     f"it covers {len(hyp) * fits:g} s; if so, give --file-epoch-length {fits:g}")
    return text
