"""`sleepscorer score`: score recordings with a model and write our label CSV.

A thin shell: reading is `sleepscorer.io`, scoring is `model.inference.score`, writing is
`write_labels_csv`. `score_file` does one recording so other commands can reuse it. Batches
(folders, --recursive, --jobs N) run file by file or in N worker processes; a failure in one
file never stops the others, they are listed at the end and the exit status is 1.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from sleepscorer.errors import SleepScorerError

OUTPUT_SUFFIX = "_scored.csv"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "score", help="score recordings automatically and write label CSVs",
        description="Score each recording with the sDREAMER model (or --model FILE) and write "
                    "our label CSV (stage, confidence, source=model, class probabilities). "
                    "With one input, OUT is the CSV file (or an existing folder); with several, "
                    f"OUT is a folder and each result is named NAME{OUTPUT_SUFFIX}.")
    p.add_argument("paths", nargs="+", metavar="PATH", type=Path,
                   help="recording file(s), Open Ephys folder(s) or folder(s) of recordings")
    p.add_argument("--recursive", "-r", action="store_true",
                   help="also look for recordings in sub-folders of folder arguments")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="score N recordings at once in separate processes (default 1)")
    p.add_argument("-o", "--out", required=True, type=Path, metavar="OUT", help="CSV file or folder")
    p.add_argument("--modality", choices=("both", "eeg", "emg"), default="both",
                   help="signals to score from (default both; EEG-only recordings use eeg)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run the model (default auto: GPU if available)")
    p.add_argument("--model", type=Path, default=None, metavar="FILE",
                   help="a .safetensors model file (default: the bundled model)")
    p.add_argument("--epoch-length", type=float, default=1.0, metavar="S",
                   help="seconds per output epoch (default 1); 1-s scores are averaged")
    p.add_argument("--eeg", metavar="CHANNEL", default=None,
                   help="name of the EEG channel, when names do not tell (e.g. Channel1)")
    p.add_argument("--emg", metavar="CHANNEL", default=None, help="name of the EMG channel")
    p.add_argument("--rate", type=float, default=None, metavar="HZ",
                   help="sampling rate in Hz of CSV/Parquet/TSV tables (they do not store it)")
    p.add_argument("--allow-rem-from-wake", action="store_true",
                   help="keep REM that no NREM precedes (narcolepsy / cataplexy models); by "
                        "default such REM is scored Wake")
    p.add_argument("--no-smoothing", action="store_true",
                   help="the network's own per-epoch labels, without decoding them with the "
                        "bout lengths and transitions of real expert hypnograms (flickers more)")
    p.add_argument("--no-lab-gate", action="store_true",
                   help="with a fine-tuned --model: use it on every recording, also on those "
                        "that do not look like its lab (by default they go to its parent)")
    p.add_argument("--calibrate", type=Path, default=None, metavar="LABELS",
                   help="a label file of this one recording (any format convert-labels reads): "
                        "its epochs choose the recording's scaling when they cover 2 min and two "
                        "states; for a file that is almost all one state, label a few minutes")
    p.set_defaults(func=run)


def roles_from(args: argparse.Namespace) -> dict:
    """Channel roles the user named on the command line ({} when none)."""
    from sleepscorer.io.recording import ChannelKind

    if args.eeg and args.emg and args.eeg.strip() == args.emg.strip():
        listed = _channels_of(args.paths[0], args.rate) if len(args.paths) == 1 else ""
        raise SleepScorerError(None, f"--eeg and --emg both name channel {args.eeg!r}; EEG and "
                                     f"EMG must be different channels{listed}")
    return {name: kind for name, kind in ((args.eeg, ChannelKind.EEG), (args.emg, ChannelKind.EMG))
            if name}


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


def check_epoch_length(value: float) -> float:
    """--epoch-length on the epoch grid: positive, finite, a simple multiple or fraction of 1 s."""
    from sleepscorer.stages import EXPORT_EPOCH_LENGTHS, on_grid

    if not math.isfinite(value) or value <= 0:
        raise SleepScorerError(None, f"--epoch-length {value:g} is not a positive number of "
                                     "seconds; use e.g. 1, 2, 2.5, 4, 5 or 10")
    if not on_grid(value) or value > 3600:
        raise SleepScorerError(None, f"--epoch-length {value:g} is not on the 1-s epoch grid (it "
                                     "must be a whole number of tenths to halves of a second, at "
                                     "most 3600 s); use e.g. "
                                     + ", ".join(f"{x:g}" for x in EXPORT_EPOCH_LENGTHS))
    return value


def check_rate(value: float | None) -> float | None:
    if value is not None and (not math.isfinite(value) or not 1 <= value <= 1e6):
        raise SleepScorerError(None, f"--rate {value:g} is not a sampling rate; give it in Hz "
                                     "(e.g. --rate 512)")
    return value


def score_file(path: Path, out: Path, model=None, modality: str = "both",  # noqa: ANN001
               device: str = "auto", epoch_length: float = 1.0,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None,
               roles: dict | None = None, rem_from_wake: bool = False,
               lab_gate: bool = True, rate: float | None = None,
               smoothing: bool = True, calibration: Path | None = None):  # noqa: ANN201
    """Read one recording, score it, write `out` (our CSV). Returns the ScoreResult.

    `model` is None (bundled), a path, or a `model.weights.LoadedModel` (load once, reuse).
    `roles` overrides channel kinds by name. `rate` is for CSV/Parquet tables. `calibration`
    is a label file of this recording whose epochs choose its scaling. The output is checked
    before anything is read (never an input, a device or a folder); the recording's own
    warnings come first in the result's `warnings`.
    """
    from sleepscorer_model.decoding import SEQUENCE_PRIOR
    from sleepscorer_model.inference import score, to_hypnogram
    from sleepscorer_model.postprocess import REM_RULE

    from sleepscorer.io import load_recording
    from sleepscorer.io.labels import write_labels_csv
    from sleepscorer.io.outputs import check_output_file

    inputs = [path, *([model] if isinstance(model, (str, Path)) else []),
              *([calibration] if calibration else [])]
    check_output_file(out, inputs)
    recording = load_recording(path, rate=rate, roles=roles or None)
    person = None
    if calibration is not None:
        from sleepscorer.io.labels import read_labels
        from sleepscorer.stages import BASE_EPOCH

        person = read_labels(calibration, n_epochs=recording.n_epochs(BASE_EPOCH), epoch_length=BASE_EPOCH)
    if recording.eeg is None and recording.emg is None:
        from sleepscorer.errors import RecordingError

        names = ", ".join(c.name for c in recording.channels)
        raise RecordingError(path, f"no channel is known to be EEG or EMG (channels: {names}); "
                                   "name them with --eeg CHANNEL and --emg CHANNEL")
    result = score(recording, model, modality=modality, device=device, progress=progress,
                   cancel=cancel, epoch_length=epoch_length,
                   rem_rule=None if rem_from_wake else REM_RULE, lab_gate=lab_gate,
                   sequence_prior=SEQUENCE_PRIOR if smoothing else None, calibration=person)
    result.warnings = [*recording.warnings, *(w for w in result.warnings
                                              if w not in recording.warnings)]
    if calibration is not None and not any(w.startswith("scaled by your") for w in result.warnings):
        result.warnings.append(f"{calibration.name}: its person-set labels are too few to scale by "
                               "(2 min covering two states, 30 s each, are needed); scaled by the "
                               "model's own first reading")
    check_output_file(out, inputs)  # still safe after the long work
    out.parent.mkdir(parents=True, exist_ok=True)
    from sleepscorer_model.quality import epoch_notes

    notes = (epoch_notes(result.quality, len(result.probabilities), result.epoch_length,
                         result.modality) if result.quality else None)
    write_labels_csv(to_hypnogram(result), out, notes=notes)
    return result


def _live(text: str) -> None:
    """Redraw the progress line in place on a terminal. In a log or a pipe (not a terminal)
    print nothing, so the log keeps whole lines instead of carriage-return smears."""
    if sys.stderr.isatty():
        print("\r" + text, end="", file=sys.stderr, flush=True)


def _end_live() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


def _progress_line(name: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        _live(f"scoring {name}: {100 * done // max(total, 1):3d}%")
    return show


@dataclass
class Outcome:
    path: Path
    out: Path | None = None
    epochs: int = 0
    fractions: dict[str, float] | None = None
    seconds: float = 0.0
    note: str = ""
    error: str = ""


def _summarise(path: Path, out: Path, result, seconds: float) -> Outcome:  # noqa: ANN001
    stages = result.stages
    fractions = {c.label: float((stages == int(c)).mean()) for c in result.classes}
    return Outcome(path, out, len(stages), fractions, seconds, "\n".join(result.warnings))


_WORKER_MODEL = None  # one model per worker process, loaded by _init_worker


def _init_worker(model_path: Path | None, device: str, threads: int) -> None:
    global _WORKER_MODEL
    import torch
    from sleepscorer_model.inference import pick_device
    from sleepscorer_model.weights import resolve_model

    torch.set_num_threads(threads)
    _WORKER_MODEL = resolve_model(model_path, pick_device(device))


def _score_in_worker(path: Path, out: Path, modality: str, device: str,
                     epoch_length: float, roles: dict, rem_from_wake: bool = False,
                     lab_gate: bool = True, rate: float | None = None,
                     smoothing: bool = True) -> Outcome:
    started = time.perf_counter()
    try:
        result = score_file(path, out, _WORKER_MODEL, modality, device, epoch_length,
                            roles=roles, rem_from_wake=rem_from_wake, lab_gate=lab_gate,
                            rate=rate, smoothing=smoothing)
    except SleepScorerError as exc:
        return Outcome(path, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        return Outcome(path, error=f"{path}: unexpected {type(exc).__name__}: {exc}")
    return _summarise(path, out, result, time.perf_counter() - started)


def collect(paths: list[Path], recursive: bool) -> list[tuple[Path, Path]]:
    """(recording, path relative to its argument) for every recording named or found."""
    from sleepscorer.io.discover import find_recordings, is_openephys_folder

    found = []
    seen: set[Path] = set()
    for arg in paths:
        if arg.is_dir() and not is_openephys_folder(arg):
            items = [(p, p.relative_to(arg)) for p in find_recordings(arg, recursive)]
        else:
            items = [(arg, Path(arg.name))]
        for p, rel in items:
            key = p.resolve() if p.exists() else p.absolute()
            if key not in seen:  # the same recording named twice is scored once
                seen.add(key)
                found.append((p, rel))
    return found


def batch_outputs(items: list[tuple[Path, Path]], out: Path) -> list[tuple[Path, Path]]:
    """(recording, output CSV) for a batch: the sub-folder layout is kept, and names that
    would collide (rec.edf beside rec.mat, d1/rec.edf and d2/rec.edf given as files) get
    distinct names derived from the input path."""
    from sleepscorer.io.outputs import distinct_names

    groups: dict[str, list[int]] = {}
    for i, (_, rel) in enumerate(items):
        groups.setdefault(str(rel.parent).lower(), []).append(i)
    outs: list[Path] = [Path()] * len(items)
    for indices in groups.values():
        names = distinct_names([items[i][0] for i in indices], OUTPUT_SUFFIX)
        for i, name in zip(indices, names, strict=True):
            outs[i] = out / items[i][1].parent / name
    return [(p, o) for (p, _), o in zip(items, outs, strict=True)]


def _batch_progress(done: int, total: int, path: Path) -> None:
    """The bar on a terminal; in a log, one whole line per finished recording."""
    if sys.stderr.isatty():
        _live(_bar(done, total) + f" {path.name[:40]}")
    else:
        print(f"{done}/{total} {path}", file=sys.stderr, flush=True)


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // max(total, 1)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def _percent(fraction: float) -> str:
    return f"{100 * fraction:5.1f}%" if fraction < 0.9995 else " 100 %"


def print_summary(outcomes: list[Outcome]) -> None:
    """The table of what was scored, each row with the file written; then warnings, failures."""
    ok = [o for o in outcomes if not o.error]
    if ok:
        classes = list(ok[0].fractions or {})
        width = max(9, *(len(str(o.path)) for o in ok))
        header = (f"{'recording':{width}s} {'epochs':>7s} " + " ".join(f"{c:>6s}" for c in classes)
                  + "  seconds  written")
        print(header)
        for o in ok:
            cells = " ".join(_percent((o.fractions or {}).get(c, 0)) for c in classes)
            print(f"{str(o.path):{width}s} {o.epochs:7d} {cells} {o.seconds:8.1f}  {o.out}")
    for o in ok:
        for note in o.note.splitlines():  # one line per warning
            print(f"warning: {o.path}: {note}", file=sys.stderr)
    failed = [o for o in outcomes if o.error]
    if failed:
        print(f"\n{len(failed)} of {len(outcomes)} recording(s) failed (nothing written for "
              "them):", file=sys.stderr)
        for o in failed:
            print(f"error: {o.error}", file=sys.stderr)
    print(f"wrote {len(ok)} label file(s)" + (f" into {ok[0].out.parent}" if ok and len(
        {o.out.parent for o in ok}) == 1 else ""), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from sleepscorer.io.outputs import check_output_file, check_output_folder

    check_epoch_length(args.epoch_length)
    check_rate(args.rate)
    roles_from(args)
    if args.jobs < 1:
        raise SleepScorerError(None, f"--jobs {args.jobs} must be at least 1")
    items = collect(args.paths, args.recursive)
    if not items:
        raise SleepScorerError(args.paths[0], "no recordings found (looked for "
                               ".edf/.bdf/.mat/.parquet files and Open Ephys folders); "
                               "use --recursive to search sub-folders")
    from sleepscorer.io.discover import is_openephys_folder

    one = args.paths[0]
    if len(items) == 1 and len(args.paths) == 1 and (not one.is_dir() or is_openephys_folder(one)):
        return _run_single(args, items[0][0])  # one file or one Open Ephys folder
    if args.calibrate is not None:
        raise SleepScorerError(args.calibrate, "--calibrate labels one recording; score that "
                                               "recording on its own")
    check_output_folder(args.out, args.paths)
    inputs = [p for p, _ in items] + ([args.model] if args.model else [])
    work = batch_outputs(items, args.out)
    for _, out in work:  # every output checked before any scoring starts
        check_output_file(out, inputs)
    args.out.mkdir(parents=True, exist_ok=True)
    outcomes = _score_batch(args, work)
    order = {p: i for i, (p, _) in enumerate(work)}
    outcomes.sort(key=lambda o: order[o.path])
    print_summary(outcomes)
    return 1 if any(o.error for o in outcomes) else 0


def _score_batch(args: argparse.Namespace, work: list[tuple[Path, Path]]) -> list[Outcome]:
    """Outcomes in the order they finish; the CPU is shared out so N jobs do not oversubscribe."""
    jobs = max(1, min(args.jobs, len(work)))
    threads = max(1, (os.cpu_count() or 1) // jobs)
    outcomes: list[Outcome] = []
    _live(_bar(0, len(work)))
    if jobs == 1:
        _init_worker(args.model, args.device, threads)
        for path, out in work:
            outcomes.append(_score_in_worker(*_worker_args(args, path, out)))
            _batch_progress(len(outcomes), len(work), path)
    else:
        with ProcessPoolExecutor(jobs, get_context("spawn"), _init_worker,
                                 (args.model, args.device, threads)) as pool:
            futures = [pool.submit(_score_in_worker, *_worker_args(args, p, o)) for p, o in work]
            for future in as_completed(futures):
                outcomes.append(future.result())
                _batch_progress(len(outcomes), len(work), outcomes[-1].path)
    _end_live()
    return outcomes


def _worker_args(args: argparse.Namespace, path: Path, out: Path) -> tuple:
    """One argument list, so scoring in this process and in a pool cannot drift apart."""
    return (path, out, args.modality, args.device, args.epoch_length, roles_from(args),
            args.allow_rem_from_wake, not args.no_lab_gate, args.rate, not args.no_smoothing)


def _run_single(args: argparse.Namespace, path: Path) -> int:
    from sleepscorer_model.inference import pick_device
    from sleepscorer_model.weights import resolve_model

    from sleepscorer.io.outputs import check_output_file

    out = output_path(path, args.out, several=False)
    check_output_file(out, [path, *([args.model] if args.model else []),
                            *([args.calibrate] if args.calibrate else [])])  # before any work
    model = resolve_model(args.model, pick_device(args.device))
    try:
        result = score_file(path, out, model, args.modality, args.device, args.epoch_length,
                            progress=_progress_line(path.name), roles=roles_from(args),
                            rem_from_wake=args.allow_rem_from_wake,
                            lab_gate=not args.no_lab_gate, rate=args.rate,
                            smoothing=not args.no_smoothing, calibration=args.calibrate)
    except (SleepScorerError, KeyboardInterrupt):
        _end_live()
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must still be one line, naming the file
        _end_live()
        raise SleepScorerError(path, f"unexpected {type(exc).__name__}: {exc}") from exc
    _end_live()
    print(f"{path} -> {out} ({len(result.probabilities)} epochs of "
          f"{result.epoch_length:g} s, {result.model_name}, {result.modality}, "
          f"{result.device_used})", file=sys.stderr)
    for note in result.warnings:
        print(f"warning: {path}: {note}", file=sys.stderr)
    print(f"wrote {out}", file=sys.stderr)
    return 0
