"""Train the comparison models on the simulated corpus and evaluate every model on held-out
SIMULATED animals and a held-out SIMULATED lab (tables I-III of the sDREAMER paper, analogue).

    python scripts/evaluate_models.py [--budget-cpu-s 360] [--only NAME ...] [--no-train]

Every number this script produces is measured on SIMULATED data (model/corpus.py): there
is no labelled real rodent EEG/EMG in this project. Nothing here is a result on real data.

Comparison models (same corpus, same train/validation animals, same CPU-time budget each,
1 torch thread, measured with time.process_time including validation passes):
  seq-sd      sequence sDREAMER with self-distillation (alpha 0.33)
  seq-nosd    sequence sDREAMER without self-distillation (alpha 0): Table III ablation
  epoch       epoch sDREAMER (one 1-s epoch in, one prediction out)
  mc2         MC2SleepNet (EEG only; 2/3 of the budget pre-training, 1/3 fine-tuning)
  trees       LightGBM on hand-made features (early stopping; not step-bounded, CPU time recorded)
plus `shipped`: resources/weights/sdreamer-seq.safetensors (scripts/train_shipped.py, a
longer budget; its card says how long) once it exists.

Resumable: trained models are kept in work-data/eval/ (safetensors + card, LightGBM JSON) and
evaluations in work-data/eval/<name>-eval.json keyed by the weights' hash, so a re-run only
trains / evaluates what is missing or changed. Results: docs/evaluation.json.

Evaluation uses the deployed inference path (model.reading._Scorer: every epoch encoded
once, overlapping windows of K epochs with stride K/2, each epoch scored once from the window
where it sits in the central half) on the cached preprocessed arrays of each animal.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import math
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from sleepscorer_model.corpus import HELD_OUT_LAB, PREPROCESS, CorpusSpec, load_corpus, summary  # noqa: E402
from sleepscorer_model.data import SubjectData  # noqa: E402
from sleepscorer_model.metrics import evaluate  # noqa: E402
from sleepscorer_model.postprocess import apply_rem_rule  # noqa: E402
from sleepscorer_model.reading import _Scorer  # noqa: E402
from sleepscorer_model.training import TrainConfig, train  # noqa: E402
from sleepscorer_model.weights import build_model, file_sha256, load_model, save_model  # noqa: E402

from sleepscorer.errors import Cancelled  # noqa: E402
from sleepscorer.stages import MODEL_CLASSES_3  # noqa: E402

class_weights = importlib.import_module("train_shipped").shipped_class_weights  # the shipped recipe's

MSSV = ROOT.parent / "shared" / "data" / "mssv-hypnograms"
CACHE = ROOT / "work-data" / "corpus"
EVAL_DIR = ROOT / "work-data" / "eval"
OUT = ROOT / "docs" / "evaluation.json"
SHIPPED = ROOT / "resources" / "weights" / "sdreamer-seq.safetensors"
CLASS_NAMES = tuple(s.label for s in MODEL_CLASSES_3)
SPLITS = ("test", "lab-test")
EVAL_VERSION = 2  # 2: also with the app's REM-only-from-NREM rule (model.postprocess)
RULE_SUFFIX = "+rem-rule"
HONESTY = ("All metrics are measured on SIMULATED data (model/corpus.py): synthetic EEG/EMG "
           "whose state sequences follow real MSSV expert hypnograms and whose signal statistics "
           "are calibrated on real unlabelled recordings. No labelled real rodent EEG/EMG exists "
           "in this project; none of these numbers is a measurement on real data.")

# name -> (label, kind, architecture, extra)
MODELS: dict[str, dict] = {
    "seq-sd": {"label": "Sequence sDREAMER (self-distillation, alpha 0.33)", "arch": "sdreamer-seq",
               "alpha": 0.33, "batch_size": 16, "steps_per_epoch": 150},
    "seq-nosd": {"label": "Sequence sDREAMER without self-distillation (alpha 0)",
                 "arch": "sdreamer-seq", "alpha": 0.0, "batch_size": 16, "steps_per_epoch": 150},
    "epoch": {"label": "Epoch sDREAMER", "arch": "sdreamer-epoch", "alpha": 0.33,
              # 256 single epochs per step = the same epochs per step as 16 windows of K=16
              "batch_size": 256, "steps_per_epoch": 50},
    "mc2": {"label": "MC2SleepNet (EEG only)", "arch": "mc2sleepnet", "alpha": 0.33,
            "batch_size": 16, "steps_per_epoch": 400},
    "trees": {"label": "LightGBM on features", "arch": "lightgbm-features"},
    "shipped": {"label": "Sequence sDREAMER, SHIPPED weights (longer budget)", "arch": "sdreamer-seq"},
}
ORDER = ("seq-sd", "seq-nosd", "epoch", "mc2", "trees", "shipped")


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC).strftime('%H:%M:%S')}] {msg}", flush=True)


def first_hour(subjects: list[SubjectData]) -> list[SubjectData]:
    """Validation (model selection only) on the first hour of each validation animal, so a
    validation pass costs less of the CPU budget."""
    return [s.slice(0, min(len(s), 3600)) for s in subjects]


# -- training under a CPU-time budget ----------------------------------------------------------

def budgeted_train(model, train_data, val_data, cfg: TrainConfig, budget_s: float,  # noqa: ANN001, PLR0913
                   loss_fn=None, parameters=None, tag: str = "") -> dict:  # noqa: ANN001
    """Train in epochs of cfg.max_steps_per_epoch steps until `budget_s` seconds of process CPU
    time have been used (checked at each epoch end, validation included); keep the epoch with
    the best validation macro-F1. Returns a summary of the run."""
    started = time.process_time()
    wall = time.perf_counter()
    best = {"f1": -math.inf, "state": None, "epoch": 0, "metrics": {}}
    history: list[dict] = []
    stop = [False]

    def progress(info: dict) -> None:
        if info.get("stage") != "epoch_end":
            return
        used = time.process_time() - started
        rec = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in info.items()
               if k not in ("stage", "eta_s")}
        rec["cpu_s"] = round(used, 1)
        history.append(rec)
        f1 = info.get("val_macro_f1", -math.inf)
        if f1 > best["f1"]:
            best.update(f1=f1, state=copy.deepcopy(model.state_dict()), epoch=info["epoch"],
                        metrics={k: v for k, v in rec.items() if k.startswith("val_")})
        log(f"{tag} epoch {info['epoch']} loss {info['loss']:.3f} val macro-F1 {f1:.3f} "
            f"cpu {used:.0f}/{budget_s:.0f} s")
        if used >= budget_s:
            stop[0] = True

    run_cfg = replace(cfg, epochs=10_000, patience=10**9)
    try:
        train(model, train_data, val_data, run_cfg, progress, lambda: stop[0], loss_fn, parameters)
    except Cancelled:
        pass
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    model.eval()
    return {"cpu_s": round(time.process_time() - started, 1),
            "wall_s": round(time.perf_counter() - wall, 1),
            "epochs_run": len(history), "steps_per_epoch": cfg.max_steps_per_epoch,
            "batch_size": cfg.batch_size, "best_epoch": best["epoch"],
            "val_best_simulated": best["metrics"], "history": history}


def recipe(train_data, weights: list[float] | None, jitter: tuple[float, float] | None) -> dict:  # noqa: ANN001
    """What a comparison run was trained on, to compare with the shipped recipe."""
    return {"train_animals": len(train_data), "train_epochs": int(sum(len(s) for s in train_data)),
            "class_weights": weights,
            "gain_jitter_eeg": None if jitter is None else jitter[0],
            "gain_jitter_emg": None if jitter is None else jitter[1]}


def train_network(name: str, spec: dict, train_data, val_data, budget_s: float,  # noqa: ANN001, PLR0913
                  weights: list[float], jitter: tuple[float, float]) -> dict:
    arch = spec["arch"]
    cfg = TrainConfig(batch_size=spec["batch_size"], max_steps_per_epoch=spec["steps_per_epoch"],
                      alpha=spec["alpha"], seed=0, class_weights=weights, device="cpu",
                      gain_jitter_eeg=jitter[0], gain_jitter_emg=jitter[1])
    torch.manual_seed(0)
    model = build_model(arch)
    if arch == "mc2sleepnet":
        from sleepscorer_model.mc2sleepnet import finetune_loss, pretrain_loss

        pre = budgeted_train(model, train_data, val_data, cfg, budget_s * 2 / 3, pretrain_loss,
                             tag=f"{name}/pretrain")
        for backbone in model.backbones():
            backbone.requires_grad_(False)
        model.frozen_backbones = True
        head = [p for p in model.parameters() if p.requires_grad]
        fine = budgeted_train(model, train_data, val_data, cfg, budget_s / 3, finetune_loss, head,
                              tag=f"{name}/finetune")
        for backbone in model.backbones():
            backbone.requires_grad_(True)
        model.frozen_backbones = False
        run = dict(fine, cpu_s=round(pre["cpu_s"] + fine["cpu_s"], 1),
                   wall_s=round(pre["wall_s"] + fine["wall_s"], 1),
                   pretrain={k: v for k, v in pre.items() if k != "history"},
                   history=pre["history"] + fine["history"])
    else:
        run = budgeted_train(model, train_data, val_data, cfg, budget_s, tag=name)
    run["train_config"] = cfg.to_dict()
    run["budget_cpu_s"] = budget_s
    run["recipe"] = recipe(train_data, weights, jitter)
    path = EVAL_DIR / f"{name}.safetensors"
    save_model(model, path, arch=arch, name=f"{spec['label']} (evaluation run, simulated corpus)",
               preprocessing=PREPROCESS.to_dict(),
               training_data={"statement": "simulated corpus (model/corpus.py), comparison run of "
                                           "scripts/evaluate_models.py", "run": run})
    (EVAL_DIR / f"{name}-train.json").write_text(json.dumps(run, indent=1))
    return run


def train_trees(train_data, val_data) -> dict:  # noqa: ANN001
    from sleepscorer_model.trees import TreesModel

    started, wall = time.process_time(), time.perf_counter()
    model = TreesModel(params={"num_threads": 1}).fit(train_data, val_data)
    run = {"cpu_s": round(time.process_time() - started, 1),
           "wall_s": round(time.perf_counter() - wall, 1),
           "rounds": int(model.booster.current_iteration()),
           "note": "LightGBM, 200 rounds max with early stopping (20) on validation; 1 thread; "
                   "feature extraction included in the CPU time",
           "val_best_simulated": {f"val_{k}": v for k, v in model.metrics.items() if k != "confusion"},
           "recipe": recipe(train_data, None, None)}
    model.save(EVAL_DIR / "trees.json", training_data={"run": run})
    (EVAL_DIR / "trees-train.json").write_text(json.dumps(run, indent=1))
    return run


# -- evaluation through the deployed inference path -------------------------------------------

class ArraySource:
    """Duck-typed model.preprocess.EpochSource over the cached normalised arrays of an animal."""

    def __init__(self, subject: SubjectData, modality: str):
        self.channels = {}
        if modality in ("both", "eeg"):
            self.channels["eeg"] = subject.eeg
        if modality in ("both", "emg") and subject.emg is not None:
            self.channels["emg"] = subject.emg
        self.n_epochs = len(subject)

    def epochs(self, name: str, start: int, stop: int) -> np.ndarray:
        return np.ascontiguousarray(self.channels[name][start:stop], dtype=np.float32)


def predict_network(loaded, subject: SubjectData, modality: str) -> np.ndarray:  # noqa: ANN001
    scorer = _Scorer(loaded, ArraySource(subject, modality), modality, torch.device("cpu"), 512)
    with torch.inference_mode():
        return scorer.run(len(subject), 8192, None, None)


def metrics_for(preds: list[np.ndarray], subjects: list[SubjectData]) -> dict:
    y = np.concatenate([s.labels for s in subjects])
    p = np.concatenate(preds)
    pooled = evaluate(y, p, 3)
    per_animal = []
    for s, q in zip(subjects, preds, strict=True):
        m = evaluate(s.labels, q, 3)
        per_animal.append({"subject": s.subject, "accuracy": round(m["accuracy"], 4),
                           "macro_f1": round(m["macro_f1"], 4), "kappa": round(m["kappa"], 4)})
    pooled["per_animal"] = per_animal
    pooled["predicted_fraction"] = (np.bincount(p[y >= 0], minlength=3) / max(1, (y >= 0).sum())).round(4).tolist()
    return pooled


def evaluate_model(name: str, corpus: dict) -> dict | None:
    """{split: {modality: metrics}} for one model, cached by the weights' file hash."""
    if name == "trees":
        path = EVAL_DIR / "trees.json"
    elif name == "shipped":
        path = SHIPPED
    else:
        path = EVAL_DIR / f"{name}.safetensors"
    if not path.exists():
        return None
    digest = file_sha256(path)
    cache = EVAL_DIR / f"{name}-eval.json"
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("file_sha256") == digest and cached.get("eval_version") == EVAL_VERSION:
            return cached
    started = time.process_time()
    out = {"file_sha256": digest, "path": str(path), "results": {},
           "eval_version": EVAL_VERSION}
    if name == "trees":
        from sleepscorer_model.trees import TreesModel

        model = TreesModel.load(path)
        modalities = ("both",)
        for split in SPLITS:
            subjects = corpus[split]
            preds = [model.predict_proba(s.eeg, s.emg).argmax(1) for s in subjects]
            out["results"][split] = {"both": metrics_for(preds, subjects)}
    else:
        loaded = load_model(path)
        out["weights_sha256"] = loaded.card["weights_sha256"]
        if name == "shipped":
            out["card"] = {k: loaded.card.get(k) for k in ("name", "created", "config",
                                                            "training_data", "metrics")}
        arch = loaded.architecture
        modalities = ("eeg",) if arch == "mc2sleepnet" else ("both", "eeg", "emg")
        for split in SPLITS:
            out["results"][split] = {}
            for modality in modalities:
                subjects = corpus[split]
                probs = [predict_network(loaded, s, modality) for s in subjects]
                out["results"][split][modality] = metrics_for([p.argmax(1) for p in probs],
                                                              subjects)
                ruled = [apply_rem_rule(p, loaded.classes)[0].argmax(1) for p in probs]
                out["results"][split][f"{modality}{RULE_SUFFIX}"] = metrics_for(ruled, subjects)
                m = out["results"][split][modality]
                log(f"{name} {split} {modality}: acc {m['accuracy']:.3f} macro-F1 "
                    f"{m['macro_f1']:.3f} kappa {m['kappa']:.3f}")
    out["modalities"] = list(modalities)
    out["eval_cpu_s"] = round(time.process_time() - started, 1)
    cache.write_text(json.dumps(out, indent=1))
    return out


def write_results(corpus: dict, budget_s: float, jitter: tuple[float, float] = (0.2, 0.0)) -> dict:
    models = {}
    for name in ORDER:
        cache = EVAL_DIR / f"{name}-eval.json"
        if not cache.exists():
            continue
        ev = json.loads(cache.read_text())
        entry = {"label": MODELS[name]["label"], "architecture": MODELS[name]["arch"],
                 "weights_file_sha256": ev["file_sha256"], "weights_sha256": ev.get("weights_sha256"),
                 "modalities": ev["modalities"], "results": ev["results"],
                 "eval_cpu_s": ev.get("eval_cpu_s")}
        if "alpha" in MODELS[name]:
            entry["alpha"] = MODELS[name]["alpha"]
        train_json = EVAL_DIR / f"{name}-train.json"
        if train_json.exists():
            run = json.loads(train_json.read_text())
            entry["training"] = {k: v for k, v in run.items() if k != "history"}
            entry["training"]["history"] = run.get("history", [])
        if name != "shipped" and entry.get("training"):
            r = entry["training"].get("recipe") or {}
            current = {"train_animals": len(corpus["train"])}
            if name != "trees":
                current.update(class_weights=class_weights(corpus["train"]),
                               gain_jitter_eeg=jitter[0], gain_jitter_emg=jitter[1])
            differs = {k: {"run": r.get(k), "current": v} for k, v in current.items() if r.get(k) != v}
            if differs:
                entry["training"]["recipe_differs_from_current"] = differs
        if name == "shipped":
            card = ev.get("card", {})
            td = card.get("training_data") or {}
            entry["training"] = {"budget": "longer budget: scripts/train_shipped.py, 2 threads",
                                 "train_minutes_cpu": td.get("train_minutes_cpu"),
                                 "train_config": td.get("train_config"),
                                 "validation_simulated": (card.get("metrics") or {}).get("validation_simulated")}
            entry["card_name"] = card.get("name")
            entry["created"] = card.get("created")
        models[name] = entry
    spec = CorpusSpec()
    result = {
        "honesty": HONESTY,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "generator": "scripts/evaluate_models.py",
        "classes": list(CLASS_NAMES),
        "splits": {"test": "SIMULATED held-out animals (whole animals of the training labs "
                           "lab_a, lab_c, lab_d, lab_e)",
                   "lab-test": f"SIMULATED held-out lab ({HELD_OUT_LAB}: a whole simulated lab never "
                               "trained on)"},
        "corpus": spec.to_dict(),
        "corpus_summary": summary(corpus),
        "budget": {"cpu_seconds_per_model": budget_s, "torch_threads": 1,
                   "measure": "time.process_time of the training process, validation passes "
                              "included; checked at the end of each training epoch (of "
                              "steps_per_epoch steps), so a run may overshoot by one epoch",
                   "validation": "first hour of each of the 4 validation animals (model selection "
                                 "by best validation macro-F1)",
                   "mc2sleepnet": "2/3 of the budget contrastive/cross-masked pre-training, 1/3 "
                                  "fine-tuning with frozen backbones",
                   "trees": "LightGBM is not step-bounded: early stopping; its CPU time is recorded",
                   "shipped": "The shipped model had a longer budget (scripts/train_shipped.py)",
                   "recipe": "comparison runs use the shipped recipe's class weights and gain "
                             "jitter as they were when each run started (per model: "
                             "training.recipe; recipe_differs_from_current lists what has "
                             "changed since)"},
        "inference": "deployed path (model.reading._Scorer): overlapping windows of K=16 epochs, "
                     "stride 8, every 1-s epoch scored once; metrics pooled over all animals of a "
                     "split (per-animal values under per_animal)",
        "models": models,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    log(f"wrote {OUT} ({', '.join(models)})")
    return result


def main() -> int:
    global EVAL_DIR, OUT  # noqa: PLW0603
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-cpu-s", type=float, default=360.0)
    parser.add_argument("--only", nargs="*", choices=ORDER, default=list(ORDER))
    parser.add_argument("--no-train", action="store_true", help="evaluate what exists only")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--smoke", action="store_true", help="tiny data (testing this script)")
    # the shipped recipe's defaults (scripts/train_shipped.py --gain-jitter-eeg/--gain-jitter-emg)
    parser.add_argument("--gain-jitter-eeg", type=float, default=0.2)
    parser.add_argument("--gain-jitter-emg", type=float, default=0.0)
    args = parser.parse_args()
    EVAL_DIR, OUT = args.eval_dir.resolve(), args.out.resolve()
    torch.set_num_threads(1)
    EVAL_DIR.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(CorpusSpec(), CACHE, MSSV, log=log)
    if args.smoke:
        corpus = {k: [s.slice(0, 600) for s in v[:2]] for k, v in corpus.items()}
    train_data, val_data = corpus["train"], first_hour(corpus["val"])
    weights = class_weights(corpus["train"])
    jitter = (args.gain_jitter_eeg, args.gain_jitter_emg)
    log(f"class weights {weights}; budget {args.budget_cpu_s:.0f} CPU s per model")
    for name in ORDER:
        if name not in args.only:
            continue
        spec = MODELS[name]
        trained = (EVAL_DIR / ("trees.json" if name == "trees" else f"{name}.safetensors")).exists()
        if name != "shipped" and not trained and not args.no_train:
            log(f"training {name}: {spec['label']}")
            if name == "trees":
                train_trees(train_data, val_data)
            else:
                train_network(name, spec, train_data, val_data, args.budget_cpu_s, weights, jitter)
        if evaluate_model(name, corpus) is not None:
            write_results(corpus, args.budget_cpu_s, jitter)
        elif name == "shipped":
            log(f"no shipped weights yet at {SHIPPED.relative_to(ROOT)}; re-run later")
    write_results(corpus, args.budget_cpu_s, jitter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
