"""Transfer proxies through the real `score` path, on animals simulated fresh for the purpose,
and on the real demo (every accuracy below is on SIMULATED animals; the demo has no labels).

    python scripts/fresh_proxies.py WEIGHTS [--threads 2] [--out F.json] [--set 23]

The first run simulates (into work-data/fresh/, seeds 13701-13710 and 13801-13804) ten
alternative-generator animals (labs a-e, 200-2000 Hz) and four shifted-family animals, 1.5 h
each. For each animal: accuracy and REM F1 from EEG+EMG and from EEG alone, and accuracy of a
22.5-min piece (minutes 20-42.5) resampled to about 200 Hz and scored on its own, the length
and rate of the issue's second real mouse. For the demo: agreement with the anchor consensus,
whole and in four 22.5-min crops at 1000 and 200 Hz (scripts/demo_crops.py); and the MiSleep
MAT's share of Wake.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.signal import resample_poly
from sleepscorer_model.data import stages_to_classes
from sleepscorer_model.inference import score
from sleepscorer_model.metrics import class_f1, evaluate
from sleepscorer_model.weights import load_model

from sleepscorer.io import load_recording
from sleepscorer.io.labels import read_labels
from sleepscorer.io.recording import Channel, Recording

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from anchors import demo_consensus  # noqa: E402

FRESH = ROOT / "work-data" / "fresh"
REAL = ROOT.parent / "shared" / "data" / "real"
ALT = [("lab_a", 512), ("lab_b", 256), ("lab_c", 1000), ("lab_d", 500), ("lab_e", 400),
       ("lab_a", 200), ("lab_b", 1000), ("lab_c", 512), ("lab_d", 256), ("lab_e", 2000)]
SHIFTED = ["lab_a_shifted", "lab_b_shifted", "lab_c_shifted", "lab_d_shifted"]
DEMO_CROPS = [(0, 1350), (130, 1480), (260, 1610), (390, 1740)]


def simulate_sets(number: int = 13) -> Path:
    """The set's folder, its animals simulated there first if missing: set 13 (seeds 13701+,
    work-data/fresh/) chose release 12's reading; later sets (e.g. 23, work-data/fresh23/) are
    simulated after a rule is written, to judge by."""
    folder = FRESH if number == 13 else FRESH.with_name(f"fresh{number}")

    def run(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "sleepscorer", "simulate", *args, "--hours", "1.5"],
                       check=True, stdout=subprocess.DEVNULL)
    for i, (lab, rate) in enumerate(ALT, 1):
        if not (folder / "alt" / f"a{i}").exists():
            run("--generator", "alt", "--lab", lab, "--rate", str(rate), "--seed",
                str(number * 1000 + 700 + i), str(folder / "alt" / f"a{i}"))
    for i, lab in enumerate(SHIFTED, 1):
        if not (folder / "shifted" / f"s{i}").exists():
            run("--lab", lab, "--rate", "500", "--seed", str(number * 1000 + 800 + i),
                str(folder / "shifted" / f"s{i}"))
    return folder


def cropped(rec: Recording, start: float, stop: float, down: int) -> Recording:
    return Recording([Channel(c.name, c.kind, resample_poly(
        np.asarray(c.data[int(start * c.rate):int(stop * c.rate)], np.float64), 1, down
    ).astype(np.float32), c.rate / down, c.unit) for c in rec.channels], rec.source)


def classes(rec: Recording, weights, **kw) -> np.ndarray:  # noqa: ANN001
    return stages_to_classes(score(rec, weights, device="cpu", **kw).stages)


def animal(edf: Path, weights) -> dict:  # noqa: ANN001
    rec = load_recording(edf)
    truth = stages_to_classes(read_labels(edf.with_suffix(".csv"), rec.n_epochs(1.0)).stages)
    row = {"file": edf.stem}
    for modality in ("both", "eeg"):
        m = evaluate(truth, classes(rec, weights, modality=modality)[:len(truth)], 3,
                     macro_over="reference")
        row[modality] = [round(m["accuracy"], 4), round(class_f1(m, 2), 3)]
    piece = classes(cropped(rec, 1200, 2550, max(1, round(rec.channels[0].rate / 200))), weights)
    row["piece200"] = round(float(np.mean(piece == truth[1200:1200 + len(piece)])), 4)
    return row


def demo(weights) -> dict:  # noqa: ANN001
    rec = load_recording(REAL / "openephys-mouse-29min")
    consensus = demo_consensus()
    keep = consensus >= 0
    whole = classes(rec, weights)
    crops = []
    for start, stop in DEMO_CROPS:
        for down in (1, 5):
            labels = classes(cropped(rec, start, stop, down), weights)
            c = consensus[start:start + len(labels)]
            crops.append([start, 1000 // down, round(float(np.mean(labels[c >= 0] == c[c >= 0])), 4)])
    return {"consensus": round(float(np.mean(whole[keep] == consensus[keep])), 4),
            "shares": np.round(100 * np.bincount(whole, minlength=3) / len(whole), 1).tolist(),
            "crops": crops}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("weights", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--set", type=int, default=13, dest="number",
                    help="which set of animals: 13 (seeds 13701+, the default) or a later one "
                         "simulated to judge by (23: seeds 23701+, session 20)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    folder = simulate_sets(args.number)
    weights = load_model(args.weights)
    out: dict = {}
    for group in ("alt", "shifted"):
        out[group] = [animal(edf, weights) for edf in sorted((folder / group).glob("*/*.edf"))]
        for row in out[group]:
            print(group, row, flush=True)
    out["demo"] = demo(weights)
    mat = load_recording(next(REAL.rglob("*.mat")))
    out["misleep_mat_wake"] = round(float(np.mean(classes(mat, weights) == 0)), 4)

    def mean_worst(rows: list, key: str, i: int | None = None) -> list[float]:
        v = [r[key] if i is None else r[key][i] for r in rows]
        return [round(float(np.mean(v)), 4), round(float(np.min(v)), 4)]
    out["summary"] = {g: {"both": mean_worst(out[g], "both", 0), "rem_f1": mean_worst(out[g], "both", 1),
                          "eeg": mean_worst(out[g], "eeg", 0), "piece200": mean_worst(out[g], "piece200")}
                      for g in ("alt", "shifted")}
    out["summary"]["demo_crops"] = mean_worst(out["demo"]["crops"], 2)
    print(json.dumps({"summary": out["summary"], "demo": out["demo"]["consensus"],
                      "misleep_mat_wake": out["misleep_mat_wake"]}))
    if args.out:
        args.out.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
