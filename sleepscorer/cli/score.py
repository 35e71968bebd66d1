"""`sleepscorer score`: score recordings with a model and write our label CSV.

A thin shell: its arguments are checked here; one recording is scored by
`sleepscorer.cli.scoring.score_file`, batches (folders, --recursive, --jobs N) by
`sleepscorer.cli.batch`, whose failures are listed at the end with exit status 1.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from sleepscorer.cli.arguments import named_path, rate_hz
from sleepscorer.cli.batch import (
    SCORED_KINDS,
    Interrupted,
    batch_outputs,
    collect,
    print_summary,
    score_batch,
    unscored_note,
    unsearched_note,
)
from sleepscorer.cli.scoring import OUTPUT_SUFFIX, end_live, progress_line, score_file, wrote_line
from sleepscorer.errors import SleepScorerError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score", help="score recordings automatically and write label CSVs",
        description="Score each recording with the sDREAMER model (or --model FILE) and write "
                    "our label CSV (stage, confidence, source=model, class probabilities). "
                    "With one input, OUT is the CSV file (or an existing folder); with several, "
                    f"OUT is a folder and each result is named NAME{OUTPUT_SUFFIX}.")
    p.add_argument("paths", nargs="+", metavar="PATH", type=named_path,
                   help="recording file(s), Open Ephys folder(s) or folder(s) of recordings")
    p.add_argument("--recursive", "-r", action="store_true",
                   help="also look for recordings in sub-folders of folder arguments")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="score N recordings at once in separate processes (default 1)")
    p.add_argument("-o", "--out", required=True, type=named_path, metavar="OUT",
                   help="CSV file or folder (made if it does not exist)")
    p.add_argument("--modality", choices=("both", "eeg", "emg"), default="both",
                   help="signals to score from (default both; EEG-only recordings use eeg)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run the model (default auto: GPU if available)")
    p.add_argument("--model", type=named_path, default=None, metavar="FILE",
                   help="a .safetensors model file (default: the bundled model)")
    p.add_argument("--epoch-length", type=float, default=1.0, metavar="S",
                   help="seconds per output epoch (default 1); 1-s scores are averaged")
    p.add_argument("--eeg", metavar="CHANNEL", default=None,
                   help="name of the EEG channel, when names do not tell (e.g. Channel1); "
                        "in a batch, files without a channel of that name keep their own names")
    p.add_argument("--emg", metavar="CHANNEL", default=None, help="name of the EMG channel")
    p.add_argument("--rate", type=rate_hz, default=None, metavar="HZ",
                   help="sampling rate in Hz of CSV/Parquet/TSV tables (they do not store it)")
    p.add_argument("--allow-rem-from-wake", action="store_true",
                   help="keep REM that no NREM precedes (narcolepsy / cataplexy models); by "
                        "default such REM is scored Wake")
    p.add_argument("--no-emg-rules", action="store_true",
                   help="do not let the EMG's tone against NREM's move labels (by default an "
                        "awake-looking epoch with atonia is REM and a sleeping one with sustained "
                        "tone is Wake); for models of REM without atonia (REM sleep behaviour "
                        "disorder)")
    p.add_argument("--no-smoothing", action="store_true",
                   help="the network's own per-epoch labels, without decoding them with the "
                        "bout lengths and transitions of real expert hypnograms (flickers more)")
    p.add_argument("--no-lab-gate", action="store_true",
                   help="with a fine-tuned --model: use it on every recording, also on those "
                        "that do not look like its lab (by default they go to its parent)")
    p.add_argument("--calibrate", type=named_path, default=None, metavar="LABELS",
                   help="a label file of this one recording (any format convert-labels reads): "
                        "its epochs choose the recording's scaling when they cover 2 min and two "
                        "states; for a file that is almost all one state, label a few minutes")
    p.add_argument("--calibrate-epoch-length", type=float, default=None, metavar="S",
                   help="epoch length in s of a --calibrate file that does not record it "
                        "(AccuSleep, .mat; default 1, and a file that fits the recording only "
                        "at a longer one is refused until this is given)")
    p.set_defaults(func=run)


def roles_from(args: argparse.Namespace) -> dict:
    """Channel roles the user named on the command line ({} when none)."""
    from sleepscorer.io.recording import ChannelKind

    for flag, name in (("--eeg", args.eeg), ("--emg", args.emg)):
        if name is not None and not name.strip():
            listed = _channels_of(args.paths[0], args.rate) if len(args.paths) == 1 else ""
            raise SleepScorerError(None, f"{flag} {name!r} is an empty channel name; give the "
                                         f"channel's name (e.g. {flag} {flag[2:].upper()}2){listed}")
    if args.eeg and args.emg and args.eeg.strip() == args.emg.strip():
        _check_channel_exists(args)  # a name no channel has is said as `--eeg NAME` says it
        listed = _channels_of(args.paths[0], args.rate) if len(args.paths) == 1 else ""
        raise SleepScorerError(None, f"--eeg and --emg both name channel {args.eeg!r}; EEG and "
                                     f"EMG must be different channels{listed}")
    return {name: kind for name, kind in ((args.eeg, ChannelKind.EEG), (args.emg, ChannelKind.EMG))
            if name}


def _check_channel_exists(args: argparse.Namespace) -> None:
    """The error `--eeg NAME` alone gives when the one recording has no channel NAME. Why:
    `--eeg EEG --emg EEG` on a file of EEG1 and EMG said both flags named channel 'EEG', as if
    there were one; a batch is left alone (files without the name keep their own names)."""
    from sleepscorer.io import load_recording
    from sleepscorer.io.discover import is_openephys_folder
    from sleepscorer.io.recording import ChannelKind

    path = args.paths[0]
    if len(args.paths) == 1 and (path.is_file() or is_openephys_folder(path)):
        load_recording(path, rate=args.rate, roles={args.eeg: ChannelKind.EEG})


def _channels_of(path: Path, rate: float | None) -> str:
    """'; the channels of PATH are A, B' for an error message ('' if it cannot be read)."""
    from sleepscorer.io import load_recording

    try:
        names = [c.name for c in load_recording(path, rate=rate).channels]
    except SleepScorerError:
        return ""
    return f"; the channels of {path.name} are {', '.join(names)}"


def output_path(recording: Path, out: Path, several: bool) -> Path:
    """`out` itself when it names a file (`labels.csv`); a file inside it when it is a folder,
    ends in a slash, or is a new name with no suffix (`-o scored` makes the folder `scored`)."""
    new_folder = not out.exists() and out.suffix == ""
    if several or new_folder or out.is_dir() or str(out).endswith(("/", "\\")):
        from sleepscorer.io.outputs import distinct_names

        return out / distinct_names([recording], OUTPUT_SUFFIX)[0]
    return out


def check_epoch_length(value: float, option: str = "--epoch-length") -> float:
    """An epoch length `option` on the epoch grid: positive, finite, a simple multiple or
    fraction of 1 s."""
    from sleepscorer.stages import EXPORT_EPOCH_LENGTHS, on_grid

    if not math.isfinite(value) or value <= 0:
        raise SleepScorerError(None, f"{option} {value:g} is not a positive number of "
                                     "seconds; use e.g. 1, 2, 2.5, 4, 5 or 10")
    if not on_grid(value) or value > 3600:
        raise SleepScorerError(None, f"{option} {value:g} is not on the 1-s epoch grid (it "
                                     "must be a whole number of tenths to halves of a second, at "
                                     "most 3600 s); use e.g. "
                                     + ", ".join(f"{x:g}" for x in EXPORT_EPOCH_LENGTHS))
    return value


def run(args: argparse.Namespace) -> int:
    from sleepscorer.io.outputs import check_output_file, check_output_folder

    check_epoch_length(args.epoch_length)
    roles_from(args)
    if args.jobs < 1:
        raise SleepScorerError(None, f"--jobs {args.jobs} must be at least 1")
    items = collect(args.paths, args.recursive)
    unsearched = unsearched_note(args.paths, args.recursive)
    if not items:
        where = ("in it or its sub-folders" if args.recursive else "in it")
        hint = f"; {unsearched}" if unsearched else ""
        raise SleepScorerError(args.paths[0], f"no recordings found {where} (looked for "
                                              f"{SCORED_KINDS}){hint}")
    from sleepscorer.io.discover import is_openephys_folder

    one = args.paths[0]
    if len(items) == 1 and len(args.paths) == 1 and (not one.is_dir() or is_openephys_folder(one)):
        return _run_single(args, items[0][0])  # one file or one Open Ephys folder
    if args.calibrate is not None:
        raise SleepScorerError(args.calibrate, "--calibrate labels one recording; score that "
                                               "recording on its own")
    if len(items) > 1 and args.out.suffix.lower() in (".csv", ".tsv") and not args.out.is_dir():
        raise SleepScorerError(args.out, f"names one label file, but {len(items)} recordings "
                                         "are to be scored; give a folder for their label "
                                         "files (e.g. -o scored/)")
    check_output_folder(args.out, args.paths, "with several recordings, --out must be a folder")
    for note in (unscored_note(args.paths, args.recursive, items, args.out), unsearched):
        if note:
            print(f"note: {note}", file=sys.stderr)
    inputs = [p for p, _ in items] + ([args.model] if args.model else [])
    work = batch_outputs(items, args.out)
    for _, out in work:  # every output checked before any scoring starts
        check_output_file(out, inputs)
    args.out.mkdir(parents=True, exist_ok=True)
    order = {p: i for i, (p, _) in enumerate(work)}
    try:
        outcomes = score_batch([_worker_args(args, p, o) for p, o in work], args.model,
                               args.device, args.jobs)
    except Interrupted as stop:  # say what this run wrote, then end as interrupted
        print_summary(sorted(stop.outcomes, key=lambda o: order[o.path]))
        failed = sum(1 for o in stop.outcomes if o.error)
        print(f"interrupted: {len(stop.outcomes)} of {len(work)} recording(s) were done before "
              f"the stop ({len(stop.outcomes) - failed} written, {failed} failed; listed above); "
              f"the other {len(work) - len(stop.outcomes)} were not scored", file=sys.stderr)
        raise
    outcomes.sort(key=lambda o: order[o.path])
    print_summary(outcomes)
    return 1 if any(o.error for o in outcomes) else 0


def _worker_args(args: argparse.Namespace, path: Path, out: Path) -> tuple:
    """One argument list for `batch._score_in_worker`, so scoring in this process and in a
    pool cannot drift apart."""
    return path, out, options_from(args), roles_from(args), args.rate


def options_from(args: argparse.Namespace):  # noqa: ANN201
    """The command line's scoring choices as one `model.options.ScoringOptions`."""
    from sleepscorer_model.options import ScoringOptions

    return ScoringOptions(modality=args.modality, epoch_length=args.epoch_length,
                          device=args.device, rem_from_wake=args.allow_rem_from_wake,
                          emg_rules=not args.no_emg_rules, lab_gate=not args.no_lab_gate,
                          smoothing=not args.no_smoothing)


def _stamp(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _run_single(args: argparse.Namespace, path: Path) -> int:
    from sleepscorer_model.inference import pick_device
    from sleepscorer_model.weights import resolve_model

    from sleepscorer.io.outputs import check_label_output, check_output_file

    out = output_path(path, args.out, several=False)
    check_output_file(out, [path, *([args.model] if args.model else []),
                            *([args.calibrate] if args.calibrate else [])])  # before any work
    check_label_output(out)
    model = resolve_model(args.model, pick_device(args.device))
    replacing = out.exists()  # its own earlier model output (check_output_file refuses others)
    earlier = _stamp(out)
    try:
        result = score_file(path, out, model, options_from(args),
                            progress=progress_line(path.name), roles=roles_from(args),
                            rate=args.rate, calibration=args.calibrate,
                            calibration_epoch_length=args.calibrate_epoch_length)
    except KeyboardInterrupt:  # say what the stop left, as the batch does
        end_live()
        if out.exists() and _stamp(out) != earlier:  # written whole (atomic): a new file
            print(f"interrupted: {out} had been written whole before the stop", file=sys.stderr)
        else:
            print("interrupted: nothing was written" + (f"; the earlier {out} is kept"
                                                        if replacing else ""), file=sys.stderr)
        return 130
    except SleepScorerError:
        end_live()
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must still be one line, naming the file
        end_live()
        raise SleepScorerError(path, f"unexpected {type(exc).__name__}: {exc}") from exc
    end_live()
    from sleepscorer.stages import epochs_text

    off = [what for what, given in (("EMG rules off", args.no_emg_rules),
                                    ("REM after Wake allowed", args.allow_rem_from_wake),
                                    ("no smoothing", args.no_smoothing)) if given]
    print(f"{path} -> {out} ({epochs_text(len(result.probabilities), result.epoch_length)}, "
          f"model {result.model_name!r}, "
          f"{ {'both': 'EEG + EMG', 'eeg': 'EEG only', 'emg': 'EMG only'}.get(result.modality)}, "
          f"{result.device_used}"
          + "".join(f"; {o}" for o in off) + ")", file=sys.stderr)  # the name is not the options
    for note in result.warnings:
        print(f"warning: {path}: {note}", file=sys.stderr)
    from sleepscorer.io.provenance import record_path

    print(f"{wrote_line(out, replacing)} (its model is recorded in {record_path(out).name})",
          file=sys.stderr)
    return 0
