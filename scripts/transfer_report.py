"""Transfer proxies for every model decision: held-out generators, the tree reference, real mice.

    python scripts/transfer_report.py --weights W.safetensors [--trees T.json] [--out docs/transfer.json]

1. Simulated, never trained on (every figure here is SIMULATED): the corpus's held-out animals
   of the training labs, the held-out lab family (lab_b), two shifted families and the
   alternative generator (model/simulation: other waveform shapes, noise colour, filters and
   amplitude law), at several rates. sDREAMER is scored through `model.inference.score`, the
   path the app and CLI use (EEG+EMG and EEG only), and the tree reference beside it.
2. Real, unlabelled: the demo (Open Ephys) and the MiSleep MAT: time in each state by each
   model and their agreement, epoch by epoch. Agreement is not accuracy: the tree is a
   reference whose real-data level is known (0.91-0.97 against experts, outside the project).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sleepscorer_model.corpus import CorpusSpec, plan, simulate_animal  # noqa: E402
from sleepscorer_model.data import stages_to_classes  # noqa: E402
from sleepscorer_model.inference import score  # noqa: E402
from sleepscorer_model.metrics import class_f1, evaluate  # noqa: E402
from sleepscorer_model.simulation import simulate_recording  # noqa: E402
from sleepscorer_model.trees import TreesModel  # noqa: E402
from sleepscorer_model.weights import load_model  # noqa: E402

from sleepscorer.io import load_recording  # noqa: E402

MSSV = ROOT.parent / "shared" / "data" / "mssv-hypnograms"
REAL = {"demo (Open Ephys, 29 min)": ROOT / "resources" / "demo" / "openephys-mouse-29min",
        "MiSleep MAT (10 min)": ROOT.parent / "shared" / "data" / "real" / "misleep-10min" / "10mins_example_mat.mat"}
NAMES = ("Wake", "NREM", "REM")


def fresh_sets(hours: float) -> dict[str, list]:
    """name -> [(recording, labels)] of simulated recordings no model trained on."""
    spec = CorpusSpec()
    sets: dict[str, list] = {"held-out animals (training labs)": [], "held-out lab (lab_b)": []}
    for a in plan(spec, MSSV):
        if a.split == "test":
            sets["held-out animals (training labs)"].append(simulate_animal(a, spec.hours, MSSV))
        elif a.split == "lab-test":
            sets["held-out lab (lab_b)"].append(simulate_animal(a, spec.hours, MSSV))
    for lab, rate in (("lab_c_shifted", 1000.0), ("lab_e_shifted", 250.3)):
        sets[f"shifted family ({lab}, {rate:g} Hz)"] = [
            simulate_recording(hours * 3600, rate=rate, seed=900 + i, lab=lab) for i in range(2)]
    alt = []
    for i, (lab, rate) in enumerate((("lab_a", 256.0), ("lab_c", 1000.0), ("lab_d", 500.0),
                                     ("lab_e", 400.0), ("lab_b", 200.0), ("lab_a", 1000.0))):
        alt.append(simulate_recording(hours * 3600, rate=rate, seed=700 + i, lab=lab, generator="alt"))
    sets["alternative generator (6 animals, 200-1000 Hz)"] = alt
    return sets


def metrics(truth: np.ndarray, pred: np.ndarray) -> dict:
    n = min(len(truth), len(pred))
    y, p = truth[:n], pred[:n]
    keep = y >= 0
    m = evaluate(y[keep], p[keep], 3)
    return {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "rem_f1": class_f1(m, 2)}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for key in rows[0]:
        vals = [r[key] for r in rows]
        out[key] = {"mean": float(np.mean(vals)), "worst": float(np.min(vals))}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--trees", type=Path, default=ROOT / "resources" / "weights" / "trees-reference.json")
    p.add_argument("--hours", type=float, default=2.0)
    p.add_argument("--out", type=Path)
    p.add_argument("--skip-sim", action="store_true")
    args = p.parse_args()
    loaded = load_model(args.weights)
    trees = TreesModel.load(args.trees) if args.trees.exists() else None
    report: dict = {"weights": str(args.weights), "simulated": {}, "real": {}}
    started = time.perf_counter()
    if not args.skip_sim:
        for name, items in fresh_sets(args.hours).items():
            rows = {"sdreamer": [], "sdreamer_eeg": [], "trees": []}
            for rec, hyp in items:
                truth = stages_to_classes(hyp.stages)
                rows["sdreamer"].append(metrics(truth, score(rec, loaded, device="cpu").stages))
                rows["sdreamer_eeg"].append(metrics(truth, score(rec, loaded, modality="eeg",
                                                                 device="cpu").stages))
                if trees is not None:
                    rows["trees"].append(metrics(truth, trees.score(rec).argmax(1)))
            report["simulated"][name] = {k: summarise(v) for k, v in rows.items() if v}
            line = "; ".join(f"{k} acc {v['accuracy']['mean']:.3f} (worst {v['accuracy']['worst']:.3f}) "
                             f"REM F1 {v['rem_f1']['mean']:.2f} (worst {v['rem_f1']['worst']:.2f})"
                             for k, v in report["simulated"][name].items())
            print(f"{name}: {line}  [{time.perf_counter() - started:.0f} s]", flush=True)
    for name, path in REAL.items():
        rec = load_recording(path)
        model = score(rec, loaded, device="cpu").stages.astype(int)
        row = {"sdreamer_time": {s: float(np.mean(model == i)) for i, s in enumerate(NAMES)}}
        if trees is not None:
            tree = trees.score(rec).argmax(1)
            n = min(len(tree), len(model))
            row["trees_time"] = {s: float(np.mean(tree == i)) for i, s in enumerate(NAMES)}
            row["agreement_with_trees"] = float(np.mean(tree[:n] == model[:n]))
        report["real"][name] = row
        print(f"{name}: {json.dumps(row)}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
