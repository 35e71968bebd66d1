"""Per-state spectral contrasts of simulated mice beside the real demo mouse (SIMULATED vs real).

    python scripts/state_contrasts.py [--hours 1] [--seeds 1 2]

For each lab family and both generators, the median of each percentile-scaled feature of the
tree reference (log EEG band powers, band fractions, EMG log RMS) per state, as Wake minus
NREM; beside it the same contrast on the real Open Ephys demo, whose states come from the
epochs where two scorers with known accuracy against the expert agree
(tests/data/openephys-demo-anchors.csv: the first shipped network, 0.872, and the tree
trained on the first simulator, 0.912). A simulated contrast of the opposite sign to the real one is a cue the model would
learn from the simulator that real mice do not have.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from anchors import demo_consensus  # noqa: E402
from sleepscorer_model.data import stages_to_classes  # noqa: E402
from sleepscorer_model.features import BANDS, epoch_band_features, scale_by_percentiles  # noqa: E402
from sleepscorer_model.simulation import simulate_recording  # noqa: E402

from sleepscorer.io import load_recording  # noqa: E402

DEMO = ROOT.parent / "shared/data/real/openephys-mouse-29min"


def contrast(x: np.ndarray, y: np.ndarray, a: int = 0, b: int = 1) -> np.ndarray:
    return np.median(x[y == a], 0) - np.median(x[y == b], 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--seeds", type=int, nargs="*", default=[1, 2])
    args = ap.parse_args()
    x = scale_by_percentiles(epoch_band_features(load_recording(DEMO)))
    cons = demo_consensus()
    n = min(len(cons), len(x))
    cons = cons[:n]
    real = contrast(x[:n], cons)
    rows = {}
    for gen in ("default", "alt"):
        for lab in ("lab_a", "lab_b", "lab_c", "lab_d", "lab_e"):
            cs = []
            for seed in args.seeds:
                rec, hyp = simulate_recording(args.hours * 3600, seed=seed, lab=lab, generator=gen)
                xs = scale_by_percentiles(epoch_band_features(rec))
                y = stages_to_classes(hyp.stages)[: len(xs)]
                cs.append(contrast(xs[: len(y)], y))
            rows[f"{gen[:3]} {lab}"] = np.mean(cs, 0)
    heads = [f"P{lo:g}" for lo, _ in BANDS] + [f"F{lo:g}" for lo, _ in BANDS] + ["EMG"]
    print("columns: P = log power, F = share of 0.5-40 Hz power, of the band starting at that Hz;"
          " EMG = log power; each percentile-scaled per recording")
    print(f"{'Wake - NREM':12s} " + " ".join(f"{h:>5s}" for h in heads))
    print(f"{'real demo':12s} " + " ".join(f"{v:5.2f}" for v in real))
    for name, c in rows.items():
        flips = int(np.sum((np.sign(c) != np.sign(real)) & (np.abs(real) > 0.1) & (np.abs(c) > 0.05)))
        print(f"{name:12s} " + " ".join(f"{v:5.2f}" for v in c) + f"   opposite sign: {flips}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
