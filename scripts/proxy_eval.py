"""Fast transfer proxies for model decisions, on cached features (every accuracy is SIMULATED).

    python scripts/proxy_eval.py [--weights W.safetensors ...] [--trees T.json] [--out F.json]

The first run simulates the never-trained-on sets of `scripts/transfer_report.py` (held-out
animals, the held-out lab family, two shifted families, the alternative generator) and reads
the real recordings, and caches per recording the spectral front end's unscaled features, the
tree's band features and the labels (work-data/proxy/). Later runs score from the cache in
seconds, so every candidate (network, tree, fusion, with or without HMM decoding) is judged on
the same recordings. Real recordings have no labels: they report time in state, agreement with
the tree reference, and mean bout lengths (MSSV experts: Wake ~130 s, NREM ~104 s, REM ~69 s);
the demo also its agreement with the anchor consensus (tests/data/README.md), the only
expert-grade reference on real data the project has.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from anchors import consensus_agreement  # noqa: E402
from sleepscorer_model.data import stages_to_classes  # noqa: E402
from sleepscorer_model.decoding import SequencePrior, smooth  # noqa: E402
from sleepscorer_model.features import scale_by_percentiles, with_context  # noqa: E402
from sleepscorer_model.metrics import evaluate  # noqa: E402
from sleepscorer_model.postprocess import apply_rem_rule  # noqa: E402
from sleepscorer_model.preprocess import PreprocessConfig  # noqa: E402
from sleepscorer_model.reading import network_probabilities  # noqa: E402
from sleepscorer_model.spectral import SpectralSource  # noqa: E402
from sleepscorer_model.trees import TreesModel  # noqa: E402
from sleepscorer_model.weights import load_model  # noqa: E402

from sleepscorer.stages import MODEL_CLASSES_3, runs  # noqa: E402

CACHE = ROOT / "work-data" / "proxy"
NAMES = ("Wake", "NREM", "REM")


def build_cache(hours: float = 2.0) -> None:
    from sleepscorer_model.features import epoch_band_features
    from sleepscorer_model.spectral import raw_features
    from transfer_report import REAL, fresh_sets

    from sleepscorer.io import load_recording

    CACHE.mkdir(parents=True, exist_ok=True)
    items = []
    for name, recs in fresh_sets(hours).items():
        items += [(name, i, rec, stages_to_classes(hyp.stages)) for i, (rec, hyp) in enumerate(recs)]
    for name, path in REAL.items():
        items.append((name, 0, load_recording(path), None))
    index = []
    for name, i, rec, labels in items:
        key = f"{len(index):02d}"
        raw = raw_features(rec)
        np.savez(CACHE / f"{key}.npz", eeg=raw["eeg"], emg=raw["emg"],
                 bands=epoch_band_features(rec), labels=labels if labels is not None else np.zeros(0))
        index.append({"key": key, "set": name, "i": i, "real": labels is None})
        print("cached", name, i, flush=True)
    (CACHE / "index.json").write_text(json.dumps(index, indent=1))


def load_cache() -> list[dict]:
    index = json.loads((CACHE / "index.json").read_text())
    for item in index:
        with np.load(CACHE / f"{item['key']}.npz") as z:
            item.update({k: z[k] for k in z.files})
    return index


class _Shape:
    def __init__(self, n: int):
        self.n = n

    def n_epochs(self, _length: float) -> int:
        return self.n


def sdreamer_probs(loaded, item: dict, modality: str = "both") -> np.ndarray:  # noqa: ANN001
    cfg = PreprocessConfig(**loaded.card.get("preprocessing", {}))
    n = len(item["eeg"])
    feats = {"eeg": item["eeg"], "emg": item["emg"]}
    source = SpectralSource(_Shape(n), cfg, use_eeg=modality != "emg", use_emg=modality != "eeg",
                            features=feats)
    with torch.inference_mode():
        return network_probabilities(loaded, source, cfg, modality, torch.device("cpu"))


def tree_probs(trees: TreesModel, item: dict) -> np.ndarray:
    return trees.predict_features(with_context(scale_by_percentiles(item["bands"]), trees.context))


def finish(p: np.ndarray, decode: bool, prior: SequencePrior | None = None) -> np.ndarray:
    p, _ = apply_rem_rule(p, MODEL_CLASSES_3)
    if decode:
        p = smooth(p, MODEL_CLASSES_3, prior)
        p, _ = apply_rem_rule(p, MODEL_CLASSES_3)
    return p


def mean_bouts(pred: np.ndarray) -> list[float]:
    v, a, b = runs(pred)
    return [float(np.mean((b - a)[v == k])) if np.any(v == k) else 0.0 for k in range(3)]


def report(name: str, items: list[dict], probs: list[np.ndarray], reference: list | None = None) -> dict:
    """Per-set accuracy (mean, worst), REM F1 (mean, worst), bouts; real: time, agreement."""
    out: dict = {}
    for item, p in zip(items, probs, strict=True):
        pred = p.argmax(1)
        row = out.setdefault(item["set"], {"acc": [], "rem": [], "bouts": [], "time": [], "agree": []})
        row["bouts"].append(mean_bouts(pred))
        if item["real"]:
            row["time"].append(np.bincount(pred, minlength=3) / len(pred))
        else:
            y = item["labels"][: len(pred)]
            keep = y >= 0
            m = evaluate(y[keep], pred[: len(y)][keep], 3)
            row["acc"].append(m["accuracy"])
            row["rem"].append(m["f1_per_class"][2] if np.any(y == 2) else np.nan)
    for item, p in zip(items, probs, strict=True):
        if item["real"] and item["set"].startswith("demo"):
            pred = p.argmax(1)
            trains = np.r_[527:547, 1057:1077, 1497:1517]
            agree = consensus_agreement(pred)
            out[item["set"]]["look"] = (f" | first 140 s Wake {np.mean(pred[:140] == 0):.2f}, "
                                        f"stim trains Wake {np.mean(pred[trains] == 0):.2f}, "
                                        f"anchor consensus {agree:.3f}")
            out[item["set"]]["consensus"] = [agree]
    if reference is not None:
        for item, p, r in zip(items, probs, reference, strict=True):
            if item["real"]:
                out[item["set"]]["agree"].append(float(np.mean(p.argmax(1) == r.argmax(1))))
    lines = {}
    for s, row in out.items():
        b = np.mean(row["bouts"], 0)
        if row["acc"]:
            lines[s] = (f"acc {np.mean(row['acc']):.3f} (worst {np.min(row['acc']):.3f}) "
                        f"REM F1 {np.nanmean(row['rem']):.2f} (worst {np.nanmin(row['rem']):.2f}) "
                        f"bouts W/N/R {b[0]:.0f}/{b[1]:.0f}/{b[2]:.0f} s")
        else:
            t = row["time"][0]
            lines[s] = (f"W/N/R {t[0]:.2f}/{t[1]:.2f}/{t[2]:.2f} bouts {b[0]:.0f}/{b[1]:.0f}/{b[2]:.0f} s"
                        + (f" agree-tree {row['agree'][0]:.2f}" if row["agree"] else "")
                        + row.get("look", ""))
    print(f"== {name}")
    for s, line in lines.items():
        print(f"   {s[:38]:38s} {line}")
    sim = [a for row in out.values() for a in row["acc"]]
    print(f"   ALL SIM mean {np.mean(sim):.3f} worst {np.min(sim):.3f}", flush=True)
    return {"sets": {s: {k: np.asarray(v).tolist() for k, v in row.items()} for s, row in out.items()},
            "lines": lines}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, nargs="*", default=[ROOT / "resources/weights/sdreamer-seq.safetensors"])
    ap.add_argument("--trees", type=Path, default=ROOT / "resources/weights/trees-reference.json")
    ap.add_argument("--sharpness", type=float, nargs="*", default=[2.0])
    ap.add_argument("--modalities", nargs="*", default=["both"], choices=("both", "eeg", "emg"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.rebuild or not (CACHE / "index.json").exists():
        build_cache()
    items = load_cache()
    results = {}
    trees = TreesModel.load(args.trees)
    tp = [tree_probs(trees, it) for it in items]
    results["tree"] = report("tree", items, [finish(p, False) for p in tp])
    for s in args.sharpness:
        results[f"tree+hmm{s}"] = report(f"tree + HMM (sharpness {s})", items,
                                         [finish(p, True, SequencePrior(s)) for p in tp])
    tree_ref = [finish(p, True) for p in tp]
    for w in args.weights:
        loaded = load_model(w)
        for mod in args.modalities:
            sp = [sdreamer_probs(loaded, it, mod) for it in items]
            results[f"{w.stem}-{mod}"] = report(f"{w.stem} {mod}", items, [finish(p, False) for p in sp], tree_ref)
            for s in args.sharpness:
                results[f"{w.stem}-{mod}+hmm{s}"] = report(
                    f"{w.stem} {mod} + HMM ({s})", items, [finish(p, True, SequencePrior(s)) for p in sp], tree_ref)
            if mod == "both":
                fused = [np.sqrt(a * b) / np.sqrt(a * b).sum(1, keepdims=True) for a, b in zip(sp, tp, strict=True)]
                results[f"{w.stem}-fusion+hmm"] = report(f"{w.stem} x tree (geometric) + HMM", items,
                                                         [finish(p, True) for p in fused], tree_ref)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
