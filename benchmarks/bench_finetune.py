"""Does fine-tuning on a few corrections help on a lab the shipped model never saw?

Simulated animals of an unseen lab family (default `lab_c_shifted`, at lab_c's 1000 Hz):
the first 10 / 20 / 40 % of each of 3 animals is treated as expert-corrected, exported with
`export_corrections`, fine-tuned with default settings, and the rest of each animal is
scored with the base and the fine-tuned model. Also scored: the lab's next, unseen animal,
and the held-out `test` animals of the training corpus (forgetting). All data simulated.

Usage: nice -n 5 python benchmarks/bench_finetune.py [--base FILE] [--minutes 100]
Writes docs/finetune-benchmark.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
FALLBACK_BASE = ROOT / "work-data/checkpoints/sdreamer-seq-last.safetensors"


def animals(lab: str, n: int, minutes: float, seed: int):  # noqa: ANN201
    from model.corpus import LAB_RATES
    from sleepscorer.core.simulation import simulate_recording

    rate = LAB_RATES.get(lab.removesuffix("_shifted"), 512.0)
    return [simulate_recording(minutes * 60.0, rate=rate, seed=seed + i, lab=lab) for i in range(n)]


def corrected(hyp, fraction: float):  # noqa: ANN001, ANN201
    """The hypnogram as a person would have it: the first `fraction` expert, the rest unscored."""
    from sleepscorer.core.hypnogram import Hypnogram, Source

    cut = int(len(hyp) * fraction)
    sources = np.full(len(hyp), Source.NONE, np.int8)
    sources[:cut] = Source.EXPERT
    return Hypnogram.from_arrays(hyp.stages, hyp.epoch_length, sources=sources), cut


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    from model.metrics import evaluate

    m = evaluate(y_true, y_pred, 3)
    return {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "rem_f1": m["f1_per_class"][2]}


def score_rest(model, recs, cuts) -> dict:  # noqa: ANN001
    from model.data import stages_to_classes
    from model.inference import score

    ys, ps = [], []
    for (rec, hyp), cut in zip(recs, cuts, strict=True):
        result = score(rec, model, device="cpu")
        n = min(len(hyp), len(result.probabilities))
        ys.append(stages_to_classes(hyp.stages[cut:n]))
        ps.append(result.probabilities[cut:n].argmax(1))
    return metrics(np.concatenate(ys), np.concatenate(ps))


def score_corpus(model, subjects) -> dict:  # noqa: ANN001
    from model.data import SequenceDataset
    from model.training import predict_dataset

    data = SequenceDataset(subjects, model.module.seq_len, model.module.seq_len)
    y, p = predict_dataset(model.module, data, torch.device("cpu"), batch_size=32)
    return metrics(y, p)


def row(name: str, before: dict, after: dict) -> str:
    cells = [f"{100 * before[k]:.1f} / {100 * after[k]:.1f} ({100 * (after[k] - before[k]):+.1f})"
             for k in ("accuracy", "macro_f1", "rem_f1")]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:  # noqa: PLR0915 (one linear script)
    from model.corpus import CorpusSpec, load_corpus
    from model.corrections import export_corrections, load_corrections
    from model.finetune import FinetuneConfig, finetune
    from model.weights import default_weights_path, load_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, default=None)
    ap.add_argument("--lab", default="lab_c_shifted")
    ap.add_argument("--minutes", type=float, default=100.0, help="per animal (100: 20%% of 3 = 1 h)")
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.2, 0.4])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--replay", type=float, default=None, help="override FinetuneConfig.replay")
    ap.add_argument("--passes", type=int, default=None, help="override FinetuneConfig.epochs")
    ap.add_argument("--out", type=Path, default=ROOT / "docs/finetune-benchmark.md")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    base_path = args.base or (default_weights_path() if default_weights_path().exists()
                              else FALLBACK_BASE)
    base = load_model(base_path)
    print(f"base {base_path} ({base.name})", flush=True)
    recs = animals(args.lab, 4, args.minutes, seed=7100)
    train_recs, unseen = recs[:3], recs[3:]
    held = load_corpus(CorpusSpec(), ROOT / "work-data/corpus",
                       Path("/work/shared/data/mssv-hypnograms"), splits=("test",))["test"]
    base_unseen = score_rest(base, unseen, [0])
    base_held = score_corpus(base, held)
    lines, timings = [], []
    for frac in args.fractions:
        with tempfile.TemporaryDirectory() as tmp:
            cuts = []
            for rec, hyp in train_recs:
                person, cut = corrected(hyp, frac)
                cuts.append(cut)
                export_corrections(rec, person, tmp, base.card)
            data = load_corrections([tmp], base.card)
        labelled = int(sum((s.labels >= 0).sum() for s in data))
        t0 = time.perf_counter()
        overrides = {k: v for k, v in (("replay", args.replay), ("epochs", args.passes))
                     if v is not None}
        result = finetune(base, data, FinetuneConfig(device="cpu", **overrides))
        wall = time.perf_counter() - t0
        timings.append((frac, labelled, wall, result.accepted, result.reason))
        print(f"{frac:.0%}: {labelled} labelled epochs, {wall:.0f} s, {result.reason}", flush=True)
        model = result.model
        lines.append(row(f"rest of the 3 animals, {frac:.0%} corrected",
                         score_rest(base, train_recs, cuts), score_rest(model, train_recs, cuts)))
        lines.append(row(f"next unseen animal ({frac:.0%})", base_unseen,
                         score_rest(model, unseen, [0])))
        lines.append(row(f"corpus held-out animals ({frac:.0%})", base_held,
                         score_corpus(model, held)))
        print("\n".join(lines[-3:]), flush=True)
    write_report(args, base_path, base, lines, timings)


TUNING_NOTES = """\
## Where the forgetting comes from (shipped weights, 20 % corrected)

Per held-out corpus animal, base -> fine-tuned accuracy, for the full fine-tune and for
weight-space blends toward the base (WiSE-FT, `interpolate`; mix 1 = fully fine-tuned):

| mix | lab_a-07 | lab_c-07 | lab_d-07 | lab_e-07 | rest of the corrected animals |
|---|---|---|---|---|---|
| 1.0 | 76.9 -> 76.8 | 83.4 -> 67.4 | 88.0 -> 90.9 | 80.4 -> 76.8 | 72.9 -> 79.0 |
| 0.6 | 76.9 -> 76.9 | 83.4 -> 74.3 | 88.0 -> 89.9 | 80.4 -> 78.7 | 72.9 -> 76.1 |
| 0.3 | 76.9 -> 76.9 | 83.4 -> 79.3 | 88.0 -> 88.9 | 80.4 -> 79.8 | 72.9 -> 74.4 |

Nearly all of the loss is on lab_c, the family `lab_c_shifted` is derived from: the shift
changes the same features (EEG delta x2.5, EMG contrast) that lab_c's labels rest on, so
fitting the new lab moves the old one. The built-in forgetting check (fresh simulated
animals of all four training labs; 10 min each when measured, 20 min by default now) sees the average over labs, where lab_d's
gain hides lab_c's loss, and keeps mix 1.0. Blending to 0.3 meets the 1-point bound
(-1.0) but keeps only +1.5 of the gain. A fine-tuned model is saved as a new model of the
lab; the bundled model stays selectable for other labs' recordings.

## How the defaults were chosen (20 % corrected, same simulated lab, training checkpoints;\nmetrics from stride-K windows rather than the app's scoring path)

Forgetting on the training labs comes from the decision layers: fine-tuning only the
output heads loses as much held-out accuracy (about 7 points after 8 passes) as fine-tuning
the whole sequence model, and L2-SP alone (0.001 to 1.0) barely changes that. What limits it
is few passes plus replay of simulated training-lab signal labelled by the base model itself:

| setting | rest of animals, accuracy change | held-out corpus accuracy change | wall time (1 h) |
|---|---|---|---|
| 8 passes, L2-SP 0.001-0.1, no replay (earlier checkpoint) | +4.7 to +7.6 | -6.3 to -7.5 | 55-60 s |
| 8 passes, L2-SP 1.0, no replay | +10.7 | -7.1 | 51 s |
| 8 passes, heads only, L2-SP 0.1 | +10.5 | -6.9 | 44 s |
| 2 passes, L2-SP 1.0, replay 10 min/lab | +6.6 | -2.1 | 24 s |
| **3 passes, L2-SP 1.0, replay 20 min/lab (~default: 1.5x the corrections)** | +6.1 | -1.8 | 51 s |
| 4 passes, L2-SP 1.0, replay 30 min/lab | +5.3 | -1.4 | 118 s |

More passes fit the new lab better and forget more; no setting tried kept the held-out loss
within 1 point while still gaining 5 points on the new lab. In these tuning runs held-out
macro-F1 and REM F1 rose with replay (that checkpoint under-called REM); in the table above
they fell slightly (up to 2.5 points macro-F1).

Figures move by a few points between training checkpoints: with replay fixed at 20 min/lab,
the 22:47 checkpoint gave +4.6 / +6.7 / +9.0 accuracy on the rest of the animals (10/20/40 %)
and -1.1 / -2.2 / -4.0 on the held-out corpus animals, in 39 / 32 / 47 s. Re-run on the
shipped weights with `nice -n 5 python benchmarks/bench_finetune.py`.
"""


def write_report(args, base_path, base, lines, timings) -> None:  # noqa: ANN001
    header = ["| data | accuracy % base / fine-tuned (delta) | macro-F1 % | REM F1 % |",
              "|---|---|---|---|"]
    timing = ["| corrected | labelled epochs | fine-tune wall time | accepted | why |",
              "|---|---|---|---|---|"]
    timing += [f"| {f:.0%} | {n} ({n / 60:.0f} min) | {w:.0f} s | {a} | {r} |"
               for f, n, w, a, r in timings]
    text = "\n".join([
        "# Fine-tuning benchmark (simulated data)",
        "",
        "**All figures are on simulated recordings; none is a measurement on real data.**",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `benchmarks/bench_finetune.py`, "
        f"{args.threads} torch thread(s) on a shared 2-core CPU. Base model: "
        f"`{base_path.relative_to(ROOT) if base_path.is_relative_to(ROOT) else base_path}` "
        f"({base.name}, sha256 {str(base.card.get('weights_sha256'))[:12]}).",
        "",
        f"Lab: `{args.lab}` (a family the base model never saw), 4 animals of "
        f"{args.minutes:g} min. The first 10/20/40 % of animals 1-3 are treated as expert "
        "corrections and exported with `export_corrections`; the model is fine-tuned with "
        "default `FinetuneConfig` and scored on the remaining part of those animals, on "
        "animal 4 (never corrected) and on the 4 held-out `test` animals of the training "
        "corpus (forgetting check, labs the base was trained on).",
        "",
        *header, *lines, "",
        "Fine-tuning time (CPU, includes validation passes; 20 % of 3 animals = 1 hour = "
        "3600 epochs of corrections):", "",
        *timing, "",
        "Targets: +5 points accuracy on the rest of the animal from 20 % corrected; no more "
        "than 1 point lost on the held-out corpus animals; one hour of corrections in under "
        "3 minutes on a 2-core CPU.", "", TUNING_NOTES])
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
