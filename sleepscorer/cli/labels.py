"""`sleepscorer convert-labels IN OUT`: any label file to our CSV or a BIDS events.tsv."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert-labels",
        help="convert labels (our CSV, AccuSleep CSV, BIDS events.tsv, .mat) to our CSV",
        description="Write OUT as our CSV, or as BIDS events.tsv when OUT ends with events.tsv.")
    parser.add_argument("input", help="label file to read")
    parser.add_argument("output", help="file to write (.csv, or *events.tsv)")
    parser.add_argument("--epoch-length", type=float, default=None,
                        help="epoch length in s of the output (default: the input's; 1 s for "
                             "AccuSleep and .mat inputs)")
    parser.add_argument("--n-epochs", type=int, default=None,
                        help="epochs in the recording: pad shorter labels with Unscored, "
                             "refuse much longer ones")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import math

    from sleepscorer.errors import SleepScorerError
    from sleepscorer.io.labels import read_labels, write_bids_events, write_labels_csv
    from sleepscorer.io.outputs import check_label_output, check_output_file
    from sleepscorer.stages import epochs_text, on_grid

    if args.epoch_length is not None:
        el = args.epoch_length
        if not math.isfinite(el) or el <= 0 or el > 3600 or not on_grid(el):
            raise SleepScorerError(None, f"--epoch-length {el:g} is not on the epoch grid; use "
                                         "a positive length such as 1, 2, 2.5, 4, 5 or 10 s")
    if args.n_epochs is not None and args.n_epochs < 1:
        raise SleepScorerError(None, f"--n-epochs {args.n_epochs} must be at least 1")
    from pathlib import Path

    check_output_file(args.output, [args.input])
    bids = str(args.output).lower().endswith("events.tsv")
    check_label_output(args.output, bids=bids, offer_bids=True)
    hyp = read_labels(args.input, n_epochs=args.n_epochs, epoch_length=args.epoch_length)
    for warning in hyp.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    if bids:
        for note in write_bids_events(hyp, args.output):
            print(f"warning: {note}", file=sys.stderr)
    else:
        write_labels_csv(hyp, args.output)
    print(f"wrote {epochs_text(len(hyp), hyp.epoch_length)} to {args.output}")
    return 0
