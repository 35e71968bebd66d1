"""`sleepscorer convert-labels IN OUT`: any label file to our CSV or a BIDS events.tsv.

Two epoch lengths, never one option for both: `--file-epoch-length` is that of an input
that does not record its own (AccuSleep, .mat), `--epoch-length` that of the output. The
recording's length is `--duration` in seconds (or `--n-epochs` of the output's epochs).
Our CSV's `note` column (bad-signal epochs) is kept (`model.quality.carry_notes`).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from sleepscorer.cli.arguments import named_path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert-labels",
        help="convert labels (our CSV, AccuSleep CSV, BIDS events.tsv, .mat) to our CSV",
        description="Write OUT as our CSV, or as BIDS events.tsv when OUT ends with events.tsv.")
    parser.add_argument("input", type=named_path, help="label file to read")
    parser.add_argument("output", type=named_path, help="file to write (.csv, or *events.tsv)")
    parser.add_argument("--file-epoch-length", type=float, default=None, metavar="S",
                        help="epoch length in s of an input that does not record it (AccuSleep "
                             "CSV, .mat; default 1); files that record theirs keep it")
    parser.add_argument("--epoch-length", type=float, default=None, metavar="S",
                        help="epoch length in s of the output (default: the input's)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--duration", type=float, default=None, metavar="S",
                        help="the recording's length in s: pad shorter labels with Unscored, "
                             "refuse much longer ones")
    length.add_argument("--n-epochs", type=int, default=None,
                        help="the recording's length in epochs of the output's epoch length "
                             "(prefer --duration)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sleepscorer_model.quality import carry_notes

    from sleepscorer.cli.score import check_epoch_length
    from sleepscorer.errors import SleepScorerError
    from sleepscorer.io.label_tables import read_note_column
    from sleepscorer.io.labels import (
        assumed_length_note,
        read_labels,
        write_bids_events,
        write_labels_csv,
    )
    from sleepscorer.io.outputs import check_label_output, check_output_file
    from sleepscorer.stages import epochs_text

    for option in ("file_epoch_length", "epoch_length"):
        if getattr(args, option) is not None:
            check_epoch_length(getattr(args, option), "--" + option.replace("_", "-"))
    if args.n_epochs is not None and args.n_epochs < 1:
        raise SleepScorerError(None, f"--n-epochs {args.n_epochs} must be at least 1")
    if args.duration is not None and not (args.duration > 0 and args.duration < float("inf")):
        raise SleepScorerError(None, f"--duration {args.duration:g} must be a positive number "
                                     "of seconds")
    check_output_file(args.output, [args.input])
    bids = str(args.output).lower().endswith("events.tsv")
    check_label_output(args.output, bids=bids, offer_bids=True)
    # the input's length never follows --epoch-length (the output's): 1 s unless given
    hyp = read_labels(args.input, n_epochs=args.n_epochs, epoch_length=args.epoch_length,
                      file_epoch_length=args.file_epoch_length or 1.0, duration_s=args.duration)
    if len(hyp) == 0:  # header-only BIDS events: an empty CSV every command then refused
        raise SleepScorerError(args.input, "holds no labelled epochs: there is nothing to convert")
    notes = list(hyp.warnings)
    known = args.file_epoch_length is not None or args.duration is not None \
        or args.n_epochs is not None
    if note := assumed_length_note(args.input, hyp, known, "--file-epoch-length (or --duration)"):
        notes.append(note)
    if hyp.covering_epoch_length:
        notes.append(f"if its epochs are {hyp.covering_epoch_length:g} s, run: "
                     f"{retry_command(args, hyp.covering_epoch_length, len(hyp))}")
    column = read_note_column(args.input)  # bad-signal notes of our CSV: kept
    if bids and column and any(column[0]):
        notes.append(f"{args.input}: its note column (bad-signal epochs) is not written: BIDS "
                     "events have no notes; write a .csv to keep it")
    for warning in notes:
        print(f"warning: {warning}", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if bids:
        for note in write_bids_events(hyp, args.output):
            print(f"warning: {note}", file=sys.stderr)
    else:
        write_labels_csv(hyp, args.output, notes=carry_notes(*column, hyp) if column else None)
    print(f"wrote {epochs_text(len(hyp), hyp.epoch_length)} to {args.output}")
    return 0


def retry_command(args: argparse.Namespace, file_epoch_length: float, n_epochs: int) -> str:
    """The command that reads the input at `file_epoch_length` for the same recording (its
    length in seconds, whatever the epochs) and writes the same output epochs, to a new file
    (this run's output holds a person's labels: it would not be replaced)."""
    duration = args.duration if args.duration is not None else n_epochs * (args.epoch_length or 1.0)
    words = ["sleepscorer", "convert-labels", str(args.input),
             _beside(str(args.output), file_epoch_length),
             "--file-epoch-length", f"{file_epoch_length:g}", "--duration", f"{duration:g}"]
    if args.epoch_length is not None:
        words += ["--epoch-length", f"{args.epoch_length:g}"]
    return shlex.join(words)


def _beside(output: str, file_epoch_length: float) -> str:
    """OUT.csv -> OUT_4s.csv, OUT_events.tsv -> OUT_4s_events.tsv."""
    from pathlib import Path

    path = Path(output)
    name = path.name
    tail = next((t for t in ("_events.tsv", "events.tsv") if name.lower().endswith(t)),
                path.suffix)
    return str(path.with_name(f"{name[:len(name) - len(tail)]}_{file_epoch_length:g}s{tail}"))

