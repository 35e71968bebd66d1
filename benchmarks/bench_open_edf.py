"""Benchmark: open a 24 h, 2-channel, 512 Hz EDF with `load_recording`; time and peak memory.

Targets: < 2 s, and peak memory growth < 1.5x the raw sample bytes, where raw sample bytes
means the samples' float32 size (2 x 86400 x 512 x 4 B = 354 MB), i.e. what the returned
`Recording` must hold anyway. The EDF is written once to a cached temp folder. Each
measurement runs in a fresh subprocess; memory is the ru_maxrss growth during the load
(VmHWM - VmRSS before the call, from /proc/self/status; Linux only) and, in a separate
run, tracemalloc's peak of Python/numpy allocations.

Run: .venv/bin/python benchmarks/bench_open_edf.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HOURS, CHANNELS, RATE = 24, 2, 512
N_SAMPLES = HOURS * 3600 * RATE
RAW_BYTES = CHANNELS * N_SAMPLES * 4
CACHE = Path(tempfile.gettempdir()) / "sleepscorer-bench" / "24h_2ch_512Hz.edf"

_CHILD = r"""
import json, sys, time, tracemalloc
from sleepscorer.io import load_recording

def status(key):  # kB in /proc/self/status; VmHWM is this process's peak RSS
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

timed = sys.argv[2] == "time"
if not timed:
    tracemalloc.start()
rss0 = status("VmRSS")
t0 = time.perf_counter()
rec = load_recording(sys.argv[1])
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "rss_growth_bytes": status("VmHWM") - rss0,
                  "traced_peak_bytes": tracemalloc.get_traced_memory()[1] if not timed else 0,
                  "n_samples": rec.n_samples, "warnings": rec.warnings}))
"""


def make_edf(path: Path) -> None:
    """A synthetic 24 h EEG/EMG written in one go (cached between runs)."""
    from sleepscorer.io import Channel, ChannelKind, Recording, write_edf

    rng = np.random.default_rng(0)
    t = np.arange(N_SAMPLES, dtype=np.float64) / RATE
    eeg = (50 * np.sin(2 * np.pi * 2.0 * t) + 15 * rng.standard_normal(N_SAMPLES)).astype(np.float32)
    del t
    emg = (20 * rng.standard_normal(N_SAMPLES)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_edf(Recording([Channel("EEG1", ChannelKind.EEG, eeg, RATE, "uV"),
                         Channel("EMG", ChannelKind.EMG, emg, RATE, "uV")], path), path)


def measure(path: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not CACHE.exists():
        t0 = time.perf_counter()
        make_edf(CACHE)
        print(f"wrote {CACHE} ({CACHE.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    runs = [measure(CACHE, "time") for _ in range(args.repeat)]
    traced = measure(CACHE, "memory")
    best = min(r["seconds"] for r in runs)
    peak = max(r["rss_growth_bytes"] for r in runs)
    assert runs[0]["n_samples"] == N_SAMPLES, runs[0]
    print(f"load_recording, 24 h x {CHANNELS} ch x {RATE} Hz EDF ({args.repeat} runs)")
    print(f"  time:  best {best:.2f} s, all {[round(r['seconds'], 2) for r in runs]}  "
          f"target < 2 s  {'OK' if best < 2 else 'MISSED'}")
    ratio = peak / RAW_BYTES
    print(f"  peak RSS growth: {peak / 1e6:.0f} MB = {ratio:.2f}x raw float32 sample bytes "
          f"({RAW_BYTES / 1e6:.0f} MB)  target < 1.5x  {'OK' if ratio < 1.5 else 'MISSED'}")
    print(f"  tracemalloc peak: {traced['traced_peak_bytes'] / 1e6:.0f} MB = "
          f"{traced['traced_peak_bytes'] / RAW_BYTES:.2f}x")
    print(f"  warnings: {runs[0]['warnings']}")
    return 0 if best < 2 and ratio < 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
