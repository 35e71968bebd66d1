"""`sleepscorer score`: score recordings with a model and write our label CSV.

A thin shell: reading is `sleepscorer.io`, scoring is `model.inference.score`, writing is
`write_labels_csv`. `score_file` does one recording so other commands can reuse it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
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
    p.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="recording file(s)")
    p.add_argument("--out", required=True, type=Path, metavar="OUT", help="CSV file or folder")
    p.add_argument("--modality", choices=("both", "eeg", "emg"), default="both",
                   help="signals to score from (default both; EEG-only recordings use eeg)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run the model (default auto: GPU if available)")
    p.add_argument("--model", type=Path, default=None, metavar="FILE",
                   help="a .safetensors model file (default: the bundled model)")
    p.add_argument("--epoch-length", type=float, default=1.0, metavar="S",
                   help="seconds per output epoch (default 1); 1-s scores are averaged")
    p.set_defaults(func=run)


def output_path(recording: Path, out: Path, several: bool) -> Path:
    if several or out.is_dir() or str(out).endswith(("/", "\\")):
        return out / f"{recording.stem}{OUTPUT_SUFFIX}"
    return out


def score_file(path: Path, out: Path, model=None, modality: str = "both",  # noqa: ANN001
               device: str = "auto", epoch_length: float = 1.0,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None):  # noqa: ANN201
    """Read one recording, score it, write `out` (our CSV). Returns the ScoreResult.

    `model` is None (bundled), a path, or a `model.weights.LoadedModel` (load once, reuse).
    """
    from model.inference import score, to_hypnogram
    from sleepscorer.io import load_recording
    from sleepscorer.io.labels import write_labels_csv

    recording = load_recording(path)
    result = score(recording, model, modality=modality, device=device, progress=progress,
                   cancel=cancel, epoch_length=epoch_length)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_labels_csv(to_hypnogram(result), out)
    return result


def _progress_line(name: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        print(f"\rscoring {name}: {100 * done // max(total, 1):3d}%", end="", file=sys.stderr,
              flush=True)
    return show


def run(args: argparse.Namespace) -> int:
    from model.inference import pick_device
    from model.weights import resolve_model

    several = len(args.paths) > 1
    if several:
        if args.out.exists() and not args.out.is_dir():
            raise SleepScorerError(args.out, "with several recordings, --out must be a folder")
        args.out.mkdir(parents=True, exist_ok=True)
    model = resolve_model(args.model, pick_device(args.device))  # load once for all files
    failed = 0
    for path in args.paths:
        out = output_path(path, args.out, several)
        try:
            result = score_file(path, out, model, args.modality, args.device, args.epoch_length,
                                progress=_progress_line(path.name))
        except SleepScorerError as exc:
            if not several:
                raise
            print(f"\nerror: {exc}", file=sys.stderr)
            failed += 1
            continue
        notes = "; ".join(result.warnings)
        print(f"\r{path} -> {out} ({len(result.probabilities)} epochs of "
              f"{result.epoch_length:g} s, {result.model_name}, {result.modality}, "
              f"{result.device_used}){' - ' + notes if notes else ''}", file=sys.stderr)
    return 2 if failed else 0
