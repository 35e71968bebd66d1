"""`sleepscorer compare A B`: how well two scorings of one recording agree (agreement,
Cohen's kappa, per-state F1, confusion matrix), e.g. the model against a lab's scorer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sleepscorer.errors import SleepScorerError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="agreement, Cohen's kappa, per-state F1 and confusion of two label files",
        description="Compare two scorings of the same recording epoch by epoch; A is the "
                    "reference (rows of the confusion matrix). Epochs unscored in either are "
                    "left out. Files at different epoch lengths are compared at the coarser.")
    parser.add_argument("a", help="reference labels (e.g. the expert's)")
    parser.add_argument("b", help="labels to check (e.g. the model's)")
    parser.add_argument("--file-epoch-length", "--epoch-length", dest="epoch_length",
                        type=float, default=None, metavar="S",
                        help="epoch length in s of files that do not record it (AccuSleep, "
                             ".mat; default 1)")
    parser.add_argument("--from", dest="start_s", type=float, default=None, metavar="SECONDS",
                        help="compare only epochs from this many seconds into the recording "
                             "(default: its start)")
    parser.add_argument("--to", dest="stop_s", type=float, default=None, metavar="SECONDS",
                        help="compare only epochs ending by this many seconds (default: the "
                             "end both files cover)")
    parser.add_argument("--exclude-labelled", default=None, metavar="FILE",
                        help="leave out the epochs a person labelled in this corrected label "
                             "file (its source column: expert or imported), e.g. the epochs a "
                             "model was fine-tuned on; or name the recording, and the app's "
                             "saved session of it is read (no export needed)")
    parser.add_argument("-o", "--out", default=None, help="also write the figures as .json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sleepscorer.core.compare import compare, format_comparison, write_comparison
    from sleepscorer.io.labels import (
        assumed_length_note,
        read_labels_as_recorded,
        unused_length_note,
    )
    from sleepscorer.io.outputs import check_output_file

    out = Path(args.out) if args.out else None
    if out is not None:  # a bad --out is refused before any figure is printed
        if out.suffix.lower() != ".json":
            raise SleepScorerError(out, "--out must end with .json")
        check_output_file(out, [p for p in (args.a, args.b, args.exclude_labelled) if p])
    a = read_labels_as_recorded(args.a, args.epoch_length)
    b = read_labels_as_recorded(args.b, args.epoch_length)
    selection = None
    if args.start_s is not None or args.stop_s is not None or args.exclude_labelled:
        selection = _selection(args, a, b)
    result = compare(a, b, selection=selection)
    if result.n_compared == 0:
        raise SleepScorerError(Path(args.b), "no epoch is scored in both files; check that they "
                                             "are for the same recording")
    warnings = [w for path, hyp in ((args.a, a), (args.b, b)) for w in (
        *hyp.warnings, assumed_length_note(path, hyp, args.epoch_length is not None,
                                           "--file-epoch-length")) if w]
    warnings.append(unused_length_note([a, b], args.epoch_length, "--file-epoch-length"))
    if Path(args.a).resolve() == Path(args.b).resolve():
        warnings.append(f"{args.a} is compared with itself: 100 % says nothing")
    warnings.append(length_mismatch(a, b, Path(args.a).name, Path(args.b).name,
                                    guess=args.epoch_length is None))
    for warning in dict.fromkeys(w for w in warnings if w):  # each once
        print(f"warning: {warning}", file=sys.stderr)
    print(format_comparison(result, Path(args.a).name, Path(args.b).name))
    if out is not None:
        write_comparison(result, out, inputs=[p for p in (args.a, args.b, args.exclude_labelled)
                                              if p])  # still safe after the reading
        print(f"wrote {out}")
    return 0


def _selection(args: argparse.Namespace, a, b):  # noqa: ANN001, ANN202
    """The epochs --from/--to/--exclude-labelled leave to compare, or one clear error."""
    from sleepscorer.core.compare import compared_length, select_epochs

    excluded, name = None, ""
    if args.exclude_labelled:
        excluded, name = _person_labels(Path(args.exclude_labelled), args.epoch_length)
        if not excluded.is_person_labelled().any():
            raise SleepScorerError(Path(args.exclude_labelled),
                                   "holds no epoch a person labelled (source expert or imported)"
                                   "; give the corrected labels a model was fine-tuned on")
    try:
        return select_epochs(*compared_length(a, b), args.start_s, args.stop_s, excluded, name)
    except ValueError as exc:
        raise SleepScorerError(Path(args.b), str(exc)) from None


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
