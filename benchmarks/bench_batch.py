"""A batch of short recordings scored with and without the model cache (CPU).

Writes N simulated recordings (`sleepscorer simulate`, EDF at 512 Hz, default 20 x 10 min)
into a temporary folder, then scores them three ways, each timed over whole passes:

- "cache cleared before every file": `score_file(path, out, model=WEIGHTS_PATH)` with
  `model.weights._CACHE` emptied before each file, i.e. what happened before the cache when a
  caller (the GUI) passed a path on every scoring: the weights are read, verified and
  hashed once per file;
- "model cache (path + file identity)": the same calls with the cache left alone
  (`model.weights.cached_load` via `resolve_model`): one load for the batch;
- "CLI batch": `sleepscorer score FILE... --out DIR` in-process, cache emptied first
  (torch threads held at --threads; the command alone would take cores / jobs).

Every call of `model.weights.load_model` is counted and timed. Prints loads, seconds in
loads, total and per-file seconds for each way (best of --repeats passes).

Usage: nice python benchmarks/bench_batch.py [--files 20] [--minutes 10] [--repeats 2]
       [--threads 2]   (on a machine another job loads, --threads 1 gives steadier figures)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("cache cleared before every file", "model cache (path + file identity)",
         "CLI batch (sleepscorer score FILES)")


@dataclass
class Pass:
    """One pass over the batch: weight loads, seconds in loads, seconds per file."""

    loads: int = 0
    load_seconds: float = 0.0
    file_seconds: list[float] = field(default_factory=list)
    total: float = 0.0

    @property
    def per_file(self) -> float:
        return statistics.median(self.file_seconds) if self.file_seconds else float("nan")


@contextlib.contextmanager
def counted_loads(tally: Pass):
    """Count and time every `model.weights.load_model` call (cached_load looks it up by name)."""
    import sleepscorer_model.weights as weights

    original = weights.load_model

    def counting(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            tally.loads += 1
            tally.load_seconds += time.perf_counter() - start

    weights.load_model = counting
    try:
        yield
    finally:
        weights.load_model = original


def simulate_batch(folder: Path, n_files: int, minutes: float, seed: int = 0) -> list[Path]:
    """N simulated EDF recordings in `folder`, written by `sleepscorer simulate`."""
    from sleepscorer.cli import main as cli

    with contextlib.redirect_stdout(io.StringIO()):
        code = cli(["simulate", str(folder), "--hours", repr(minutes / 60), "--animals",
                    str(n_files), "--seed", str(seed)])
    if code != 0:
        raise RuntimeError(f"sleepscorer simulate exited with {code}")
    paths = sorted(folder.glob("*.edf"))
    if len(paths) != n_files:
        raise RuntimeError(f"expected {n_files} recordings in {folder}, found {len(paths)}")
    return paths


def score_files(paths: list[Path], out: Path, weights: Path, clear_each: bool) -> Pass:
    """Score each file through `score_file` with the weights given as a path."""
    import sleepscorer_model.weights as mw
    from sleepscorer_model.options import ScoringOptions

    from sleepscorer.cli.scoring import OUTPUT_SUFFIX, score_file

    tally = Pass()
    mw._CACHE.clear()
    with counted_loads(tally):
        start = time.perf_counter()
        for path in paths:
            t0 = time.perf_counter()
            if clear_each:
                mw._CACHE.clear()
            score_file(path, out / f"{path.stem}{OUTPUT_SUFFIX}", model=weights,
                       options=ScoringOptions(device="cpu"))
            tally.file_seconds.append(time.perf_counter() - t0)
        tally.total = time.perf_counter() - start
    return tally


def cli_batch(paths: list[Path], out: Path, weights: Path) -> Pass:
    """`sleepscorer score FILE... --out DIR --model WEIGHTS --device cpu`, in this process.

    The command sets torch threads to cores / jobs; here the caller's setting is held during
    the call (so the three ways compare on a loaded machine) and restored after it."""
    import sleepscorer_model.weights as mw
    import torch

    from sleepscorer.cli import main as cli

    tally = Pass()
    mw._CACHE.clear()
    sink = io.StringIO()
    threads = torch.get_num_threads()
    with counted_loads(tally), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        start = time.perf_counter()
        hold = torch.set_num_threads
        torch.set_num_threads = lambda n: None
        try:
            code = cli(["score", *map(str, paths), "--out", str(out), "--model", str(weights),
                        "--device", "cpu"])
        finally:
            tally.total = time.perf_counter() - start
            torch.set_num_threads = hold
            torch.set_num_threads(threads)
    if code != 0:
        raise RuntimeError(f"sleepscorer score exited with {code}:\n{sink.getvalue()[-2000:]}")
    tally.file_seconds = [tally.total / len(paths)] * len(paths)
    return tally


def run(n_files: int = 20, minutes: float = 10.0, repeats: int = 2, threads: int = 2,
        folder: Path | None = None, log: Callable[[str], None] | None = None
        ) -> dict[str, Pass]:
    """Simulate the batch and score it every way; the best pass (lowest total) per way."""
    import torch
    from sleepscorer_model.weights import default_weights_path

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    weights = default_weights_path()
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        root = Path(folder or tmp)
        t0 = time.perf_counter()
        paths = simulate_batch(root / "recordings", n_files, minutes)
        if log:
            log(f"simulated {n_files} x {minutes:g} min in {time.perf_counter() - t0:.1f} s")
        score_files(paths[:1], root / "warmup", weights, clear_each=False)  # first-call costs
        ways: dict[str, Callable[[Path], Pass]] = {
            MODES[0]: lambda out: score_files(paths, out, weights, clear_each=True),
            MODES[1]: lambda out: score_files(paths, out, weights, clear_each=False),
            MODES[2]: lambda out: cli_batch(paths, out, weights),
        }
        best: dict[str, Pass] = {}
        for r in range(repeats):
            for i, (mode, way) in enumerate(ways.items()):
                result = way(root / f"out{r}_{i}")
                if mode not in best or result.total < best[mode].total:
                    best[mode] = result
    torch.set_num_threads(before)
    return best


def report(best: dict[str, Pass], n_files: int, minutes: float, repeats: int, threads: int
           ) -> str:
    lines = [f"batch of {n_files} simulated {minutes:g}-min recordings (EDF, 512 Hz EEG+EMG), "
             f"shipped model given as a path, CPU, torch threads {threads}, best of {repeats}",
             f"{'':36s} {'loads':>6s} {'load s':>7s} {'total s':>8s} {'per file s':>11s}"]
    for mode, p in best.items():
        lines.append(f"{mode:36s} {p.loads:6d} {p.load_seconds:7.2f} {p.total:8.2f} "
                     f"{p.per_file:11.3f}")
    before, after = best.get(MODES[0]), best.get(MODES[1])
    if before and after and after.total > 0:
        lines.append(f"cache saves {before.total - after.total:.2f} s on the batch "
                     f"({before.total / after.total:.2f}x); one load costs "
                     f"{before.load_seconds / max(before.loads, 1) * 1000:.0f} ms")
    lines.append("per file: median of the files (CLI batch: total / files)")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    best = run(args.files, args.minutes, args.repeats, args.threads, log=print)
    print(report(best, args.files, args.minutes, args.repeats, args.threads))


if __name__ == "__main__":
    main()
