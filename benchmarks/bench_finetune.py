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
MSSV = ROOT.parent / "shared" / "data" / "mssv-hypnograms"


def animals(lab: str, n: int, minutes: float, seed: int):  # noqa: ANN201
    from sleepscorer_model.corpus import LAB_RATES
    from sleepscorer_model.simulation import simulate_recording

    rate = LAB_RATES.get(lab.removesuffix("_shifted"), 512.0)
    return [simulate_recording(minutes * 60.0, rate=rate, seed=seed + i, lab=lab) for i in range(n)]


def corrected(rec, hyp, fraction: float, model):  # noqa: ANN001, ANN201
    """The hypnogram as the app would hold it: the base model's scoring with the first
    `fraction` relabelled by an expert (the simulator's truth)."""
    from sleepscorer_model.inference import score, to_hypnogram

    from sleepscorer.hypnogram import Source

    cut = int(len(hyp) * fraction)
    held = to_hypnogram(score(rec, model, device="cpu"))
    held.replace(0, hyp.stages[:cut], np.full(cut, Source.EXPERT, np.int8),
                 np.full(cut, np.nan, np.float32), "expert corrections")
    return held, cut


def metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    from sleepscorer_model.metrics import class_f1, evaluate

    m = evaluate(y_true, y_pred, 3)
    return {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "rem_f1": class_f1(m, 2)}


def score_rest(model, recs, cuts, lab_gate: bool = True) -> dict:  # noqa: ANN001
    from sleepscorer_model.data import stages_to_classes
    from sleepscorer_model.inference import score

    ys, ps = [], []
    for (rec, hyp), cut in zip(recs, cuts, strict=True):
        result = score(rec, model, device="cpu", lab_gate=lab_gate)
        n = min(len(hyp), len(result.probabilities))
        ys.append(stages_to_classes(hyp.stages[cut:n]))
        ps.append(result.probabilities[cut:n].argmax(1))
    return metrics(np.concatenate(ys), np.concatenate(ps))


def held_out_animals():  # noqa: ANN201
    """The training corpus's held-out `test` animals as recordings (re-simulated from the
    corpus plan), so forgetting is measured through the deployed reading."""
    from sleepscorer_model.corpus import CorpusSpec, plan, simulate_animal

    spec = CorpusSpec()
    return [simulate_animal(a, spec.hours, MSSV) for a in plan(spec, MSSV) if a.split == "test"]


def gate_check(model, lab: str, minutes: float = 30.0, per_lab: int = 3) -> list[str]:  # noqa: ANN001
    """Where the lab gate sends fresh animals of the lab and of each training lab."""
    from sleepscorer_model.corpus import TRAIN_LABS
    from sleepscorer_model.domain import LabGate, token_encoder
    from sleepscorer_model.frontend import make_source  # the front end the card names
    from sleepscorer_model.inference import source_profile
    from sleepscorer_model.preprocess import PreprocessConfig

    lab_gate = LabGate.from_card(model.card.get("lab_gate"))
    if lab_gate is None:  # fine-tuning drops the gate when the network alone keeps every lab
        return ["No lab gate: the fine-tuned network alone kept every training lab within "
                "`max_forgetting` on fresh animals, so it scores every recording (the rows "
                "\"as the app scores them\" and \"fine-tuned network alone\" are the same)."]
    cfg = PreprocessConfig(**model.card["preprocessing"])
    out = ["| animals (fresh, 30 min each) | scored by the fine-tuned model | by the parent |",
           "|---|---|---|"]
    for name in (lab, *TRAIN_LABS):
        recs = animals(name, per_lab, minutes, seed=7300)
        encoder = token_encoder(model.parent.module)
        through = sum(lab_gate.matches(source_profile(make_source(r, cfg), encoder))
                      for r, _ in recs)
        out.append(f"| {name}{' (the corrected lab)' if name == lab else ''} | {through} | "
                   f"{per_lab - through} |")
    return out


def row(name: str, before: dict, after: dict) -> str:
    cells = [f"{100 * before[k]:.1f} / {100 * after[k]:.1f} ({100 * (after[k] - before[k]):+.1f})"
             for k in ("accuracy", "macro_f1", "rem_f1")]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:  # noqa: PLR0915 (one linear script)
    from sleepscorer_model.corrections import export_corrections, load_corrections
    from sleepscorer_model.finetune import FinetuneConfig, finetune
    from sleepscorer_model.weights import default_weights_path, load_model

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
    held = held_out_animals()
    base_unseen = score_rest(base, unseen, [0])
    base_held = score_rest(base, held, [0] * len(held))
    lines, timings, gates = [], [], []
    for frac in args.fractions:
        with tempfile.TemporaryDirectory() as tmp:
            cuts = []
            for rec, hyp in train_recs:
                person, cut = corrected(rec, hyp, frac, base)
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
        lines.append(row(f"next unseen animal, gate ignored (`--no-lab-gate`) ({frac:.0%})",
                         base_unseen, score_rest(model, unseen, [0], lab_gate=False)))
        lines.append(row(f"corpus held-out animals, as the app scores them ({frac:.0%})",
                         base_held, score_rest(model, held, [0] * len(held))))
        lines.append(row(f"corpus held-out animals, fine-tuned network alone ({frac:.0%})",
                         base_held, score_rest(model, held, [0] * len(held), lab_gate=False)))
        print("\n".join(lines[-5:]), flush=True)
        if abs(frac - 0.2) < 1e-9:
            gates = gate_check(model, args.lab) if result.accepted else []
            print("\n".join(gates), flush=True)
    write_report(args, base_path, base, lines, timings, gates)


TUNING_NOTES = """\
## Why a lab gate, and the defaults (shipped weights, 20 % corrected, measured 2026-11-24)

One network cannot serve both this lab and the training lab it resembles. Per held-out
corpus animal, base -> fine-tuned network accuracy (no gate), for the settings tried (all
with L2-SP 1.0, lr 1e-4, at most 3 passes unless stated; encoder frozen unless stated):

| setting (replay targets, weight, animals per lab, amount) | rest of corrected animals | next animal | lab_a-07 | lab_c-07 | lab_d-07 | lab_e-07 |
|---|---|---|---|---|---|---|
| base model | 72.9 | 64.5 | 76.9 | 83.4 | 88.0 | 80.4 |
| hard labels, 1 animal, 1.5x (first release) | +6.1 | +1.4 | 76.8 | 67.4 | 90.9 | 76.8 |
| soft (KL), weight 1, 1 animal, 1.5x | +10.4 | +3.5 | 77.5 | 51.6 | 92.6 | 74.1 |
| soft, weight 4, 1 animal, 1.5x | +7.0 | +1.8 | 77.1 | 63.8 | 91.2 | 77.8 |
| soft, weight 12, 1 animal, 1.5x | +4.6 | +1.0 | 76.7 | 71.4 | 90.4 | 79.0 |
| soft, weight 4, 1 animal, 3x | +6.3 | +1.5 | 77.4 | 65.9 | 90.9 | 78.8 |
| hard labels, 4 animals, 1.5x | +7.0 | +1.7 | 77.1 | 64.6 | 91.4 | 76.0 |
| soft, weight 4, 4 animals, 1.5x | +7.4 | +2.1 | 77.2 | 62.5 | 91.4 | 77.4 |
| soft, weight 4, 6 animals, 3x | +6.8 | +1.8 | 77.5 | 64.4 | 91.1 | 78.1 |
| soft, weight 4, 4 animals, 6 passes | +7.9 | +2.4 | 77.2 | 60.5 | 91.7 | 77.2 |
| soft, weight 4, 4 animals, lr 3e-4 | +9.0 | +2.9 | 77.1 | 57.0 | 92.2 | 76.8 |
| soft, weight 1, 4 animals | +10.6 | +3.7 | 77.6 | 50.5 | 92.9 | 73.4 |
| soft, weight 4, 4 animals, encoder fine-tuned too | +12.6 | +4.5 | 78.2 | 47.7 | 92.9 | 77.1 |
| soft, weight 4, 4 animals, encoder too, 5 passes | +12.3 | +3.9 | 77.3 | 51.4 | 93.1 | 75.9 |
| **soft, weight 1, 4 animals, encoder too (default)** | +15.6 | +9.5 | 77.5 | 32.0 | 95.4 | 69.2 |

Every setting trades the new lab against lab_c, the family `lab_c_shifted` is derived from:
the shift moves the same features (EEG delta x2.5, theta, EMG contrast) that lab_c's labels
rest on, so the new lab's labels point lab_c's look-alike epochs elsewhere. Earlier runs
with L2-SP from 0.001 to 1.0, heads-only fine-tuning and 2-8 passes showed the same curve,
and weight-space blending toward the base (WiSE-FT) met the 1-point bound only at mix 0.3,
keeping +1.5 of the gain. Replay of the training labs (soft targets: the base model's
output distributions on freshly simulated animals, matched by KL on all three pathways)
keeps lab_a and lab_d; nothing short of giving up the lab's gain keeps lab_c.

So a fine-tuned model is a model of its lab: it stores fingerprints (`model.domain`,
per-band EEG/EMG log-power percentiles of the normalised signal: spectral shape, mains,
spread of states; gain-invariant) of the corrected recordings and of the simulated
training-lab animals it was replayed on, and the app scores a recording with it only when
the recording is nearer the lab's fingerprints; any other recording is scored by the parent
model, with a warning that says so. The forgetting check inside `finetune` measures
forgetting as deployed: on fresh animals of the training labs (not those the gate was fitted
on), each scored by whichever model the gate picks. With that protection the defaults can
favour the lab (last row: the encoder learns too, replay weight 1), which also carries over
best to the lab's next animal. The "network alone" rows above show what the gate protects
against: a foreign recording let through by mistake would be scored worse than by the base.
"""


SCALING_NOTES = """\
## Why corrections keep each file's own percentiles (measured 2026-12-06)

The shipped card reads a recording with mixture scaling (`model.reading.mixture_scaled`), but
`export_corrections` stores each recording scaled by its own percentiles, as the corpus was.
Storing the corrections mixture-scaled instead (reference drawn from the hypnogram the app
holds: the base model's labels with the expert's corrections) was tried once, 20 % corrected,
the same animals and seeds, every row through the deployed reading:

| corrections scaled by | rest of the 3 animals | next unseen animal | corpus held-out animals |
|---|---|---|---|
| each file's own percentiles (kept) | 96.9 / 98.3 (+1.3) | 90.6 / 98.2 (+7.6) | 91.6 / 91.0 (**-0.6**) |
| mixture reference of the app's hypnogram | 96.9 / 98.5 (+1.6) | 90.6 / 98.1 (+7.5) | 91.6 / 88.0 (**-3.6**) |

The lab gains the same either way; the training labs lose three points more. The replay and
anchor animals are scaled by their own percentiles, so mixture-scaled corrections make the
lab's arrays differ from the training labs' in scaling as well as in signal, and the network
moves further. Not adopted.
"""


def write_report(args, base_path, base, lines, timings, gates) -> None:  # noqa: ANN001
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
        "corpus (forgetting check, labs the base was trained on, re-simulated from the corpus "
        "plan). Every row is scored through the app's scoring path (`model.inference.score`: "
        "the card's reading with mixture scaling, sequence decoding); the held-out animals are "
        "shown both as the app routes them (through the fine-tuned model's lab gate) and with "
        "the fine-tuned network alone (`--no-lab-gate`).",
        "",
        *header, *lines, "",
        "Fine-tuning time (CPU, includes validation passes; 20 % of 3 animals = 1 hour = "
        "3600 epochs of corrections):", "",
        *timing, "",
        "Targets: +5 points accuracy on the rest of the animal from 20 % corrected; no more "
        "than 1 point lost on the held-out corpus animals; one hour of corrections in under "
        "3 minutes on a 2-core CPU.", "",
        "Where the lab gate of the 20 %-corrected model sends fresh simulated animals "
        "(none of them used in fine-tuning or in fitting the gate):", "",
        *gates, "", "With 8 fresh animals per lab and three unseen labs the gate is stricter "
        "than these 3 animals suggest: see [lab-gate.md](lab-gate.md) "
        "(`benchmarks/bench_lab_gate.py`).", "",
        *((SCALING_NOTES, TUNING_NOTES) if args.lab == "lab_c_shifted" else ())])
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
