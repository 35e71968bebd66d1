"""Seconds and memory to score 512 Hz EEG+EMG with the default sequence sDREAMER on CPU.

Each length runs in its own process (so peak RSS is per run) with torch threads = 2.
Signal: synthetic noise. Usage: python benchmarks/bench_score.py [--hours 6 24] [--model FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(hours: float, threads: int, weights: str | None = None) -> dict:
    import numpy as np
    import torch
    from sleepscorer_model.inference import score
    from sleepscorer_model.weights import default_weights_path, load_model

    from sleepscorer.io.recording import Channel, ChannelKind, Recording

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = load_model(Path(weights) if weights else default_weights_path())  # network and front end
    base = _rss_mb()
    n = int(hours * 3600 * 512)
    rng = np.random.default_rng(0)
    rec = Recording([Channel("EEG", ChannelKind.EEG, rng.standard_normal(n, dtype=np.float32), 512.0),
                     Channel("EMG", ChannelKind.EMG, rng.standard_normal(n, dtype=np.float32), 512.0)],
                    Path("synthetic"))
    with_signal = _rss_mb()
    start = time.perf_counter()
    result = score(rec, model, device="cpu")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"hours": hours, "epochs": len(result.probabilities), "seconds": seconds,
            "epochs_per_s": len(result.probabilities) / seconds, "signal_mb": 2 * n * 4 / 2**20,
            "rss_model_mb": base, "rss_with_signal_mb": with_signal, "peak_rss_mb": peak,
            "peak_beyond_signal_mb": peak - with_signal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, nargs="+", default=[6.0, 24.0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default=None, help="a .safetensors model (default: the bundled one)")
    parser.add_argument("--worker", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.threads, args.model)))
        return
    rows = []
    for hours in args.hours:
        model = ["--model", args.model] if args.model else []
        out = subprocess.run([sys.executable, __file__, "--worker", str(hours), "--threads",
                              str(args.threads), *model], check=True, capture_output=True, text=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{args.model or 'shipped sequence sDREAMER'}, CPU, torch threads = {args.threads}")
    print(f"{'hours':>6} {'epochs':>8} {'seconds':>8} {'epochs/s':>9} {'signal MB':>10} "
          f"{'peak RSS MB':>12} {'peak - (model+signal) MB':>25}")
    for r in rows:
        print(f"{r['hours']:>6g} {r['epochs']:>8} {r['seconds']:>8.1f} {r['epochs_per_s']:>9.0f} "
              f"{r['signal_mb']:>10.0f} {r['peak_rss_mb']:>12.0f} {r['peak_beyond_signal_mb']:>25.0f}")


if __name__ == "__main__":
    main()
