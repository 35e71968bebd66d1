"""Render docs/architecture-comparison.md (the sDREAMER paper's tables I-III, analogue) from
docs/evaluation.json (scripts/evaluate_models.py) and the shipped weights' card
(resources/weights/sdreamer-seq.json). Regenerable: no hand edits. The model card itself,
docs/model-card.md, is written by hand from the transfer proxies and is never overwritten here.

    python scripts/model_card.py [--evaluation docs/evaluation.json] [--card FILE] [--out FILE]

Every metric in the card is measured on SIMULATED data and is labelled so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL = ROOT / "docs" / "evaluation.json"
DEFAULT_CARD = ROOT / "resources" / "weights" / "sdreamer-seq.json"
DEFAULT_OUT = ROOT / "docs" / "architecture-comparison.md"

DATA_STATEMENT = (
    "The model was trained on a simulated corpus whose state sequences come from real MSSV "
    "expert hypnograms and whose signal statistics are calibrated on the real unlabelled "
    "recordings — see [docs/calibration.md](calibration.md)."
)
SPLIT_CAPTION = {"test": "simulated held-out animals", "lab-test": "simulated held-out lab"}
# (name, hierarchy, input the model was trained on, epochs per prediction)
TABLE1_ROWS = (
    ("trees", "Epoch", "EEG+EMG features", "1"),
    ("mc2", "Sequence", "EEG", "16"),
    ("epoch", "Epoch", "EEG+EMG", "1"),
    ("seq-nosd", "Sequence", "EEG+EMG", "16"),
    ("seq-sd", "Sequence", "EEG+EMG", "16"),
    ("shipped", "Sequence", "EEG+EMG", "16"),
)
SEQ_MODELS = ("shipped", "seq-sd", "seq-nosd")
RULE_SUFFIX = "+rem-rule"  # results with the app's REM-only-from-NREM rule (evaluate_models.py)


def pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def num(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def result(ev: dict, name: str, split: str, modality: str) -> dict | None:
    return (((ev.get("models", {}).get(name) or {}).get("results") or {}).get(split) or {}).get(modality)


def first_modality(ev: dict, name: str) -> str:
    mods = (ev.get("models", {}).get(name) or {}).get("modalities") or ["both"]
    return "both" if "both" in mods else mods[0]


def table1(ev: dict, split: str) -> list[str]:
    lines = [f"**Table I ({SPLIT_CAPTION[split]}).** Multi-modal comparison, measured on "
             f"{ev.get('splits', {}).get(split, SPLIT_CAPTION[split])}. SIMULATED data, not real "
             "recordings. Metrics pooled over all epochs of the split (%, kappa as a fraction).",
             "",
             "| Method | Hierarchy | Input | # of epochs | Acc (%) | Macro-F1 (%) | Cohen's kappa "
             "| F1 Wake | F1 NREM | F1 REM |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, hierarchy, signal, k in TABLE1_ROWS:
        model = ev.get("models", {}).get(name)
        if not model:
            continue
        m = result(ev, name, split, first_modality(ev, name))
        if m is None:
            continue
        rows = [(model.get("label", name), m)]
        ruled = result(ev, name, split, first_modality(ev, name) + RULE_SUFFIX)
        if name == "shipped" and ruled is not None:
            rows.append((f"{model.get('label', name)} + REM only from NREM (**the app's "
                         "default**)", ruled))
        for label, r in rows:
            f1 = r.get("f1_per_class", [None] * 3)
            lines.append(f"| {label} | {hierarchy} | {signal} | {k} | "
                         f"{pct(r.get('accuracy'))} | {pct(r.get('macro_f1'))} | "
                         f"{num(r.get('kappa'))} | " + " | ".join(pct(v) for v in f1) + " |")
    return lines + ["", "Rows without the rule are the network's own output. The rule "
                    "(`model.postprocess`, thresholds chosen on the simulated validation "
                    "animals) scores REM that no NREM precedes as Wake; `sleepscorer score "
                    "--allow-rem-from-wake` and Preferences turn it off.", ""]


def table2(ev: dict, split: str) -> list[str]:
    lines = [f"**Table II ({SPLIT_CAPTION[split]}).** Mono-modal inference: the same weights "
             "scored with EEG only and EMG only (modality eeg / emg), SIMULATED data. MC2SleepNet "
             "is trained on EEG alone (the analogue of the paper's single-signal baseline).",
             "",
             "| Method | Train signal | EEG-Acc (%) | EEG-F1 (%) | EEG-kappa | EMG-Acc (%) | EMG-F1 (%) "
             "| EMG-kappa |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in ("mc2", *SEQ_MODELS):
        model = ev.get("models", {}).get(name)
        if not model:
            continue
        eeg, emg = result(ev, name, split, "eeg"), result(ev, name, split, "emg")
        if eeg is None and emg is None:
            continue
        cells = []
        for m in (eeg, emg):
            cells += ["–"] * 3 if m is None else [pct(m["accuracy"]), pct(m["macro_f1"]), num(m["kappa"])]
        train_signal = "EEG" if name == "mc2" else "EEG-EMG"
        lines.append(f"| {model.get('label', name)} | {train_signal} | " + " | ".join(cells) + " |")
    return lines + [""]


def table3(ev: dict) -> list[str]:
    lines = ["**Table III (simulated held-out animals / simulated held-out lab).** Ablation of "
             "modality-expert self-distillation (EEG-SD and EMG-SD together: alpha 0.33 vs 0), "
             "equal training budgets, SIMULATED data. Accuracy and macro-F1 (%) for EEG+EMG, "
             "EEG-only and EMG-only inference.",
             "",
             "| Split | Method | EEG-SD | EMG-SD | Acc | F1 | EEG-Acc | EEG-F1 | EMG-Acc | EMG-F1 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for split in ("test", "lab-test"):
        for name, sd in (("seq-sd", "✓"), ("seq-nosd", "–")):
            model = ev.get("models", {}).get(name)
            if not model:
                continue
            cells = []
            for modality in ("both", "eeg", "emg"):
                m = result(ev, name, split, modality)
                cells += ["–", "–"] if m is None else [pct(m["accuracy"]), pct(m["macro_f1"])]
            lines.append(f"| {SPLIT_CAPTION[split]} | {model.get('label', name)} | {sd} | {sd} | "
                         + " | ".join(cells) + " |")
    return lines + [""]


def budget_section(ev: dict) -> list[str]:
    b = ev.get("budget", {})
    lines = ["## Training budgets", "",
             f"Comparison models: {b.get('cpu_seconds_per_model', '?')} s of CPU time each, "
             f"{b.get('torch_threads', 1)} torch thread ({b.get('measure', '')}). Validation: "
             f"{b.get('validation', '')}. MC2SleepNet: {b.get('mc2sleepnet', '')}. Trees: "
             f"{b.get('trees', '')}. {b.get('shipped', '')}.", "",
             "| Model | CPU s | wall s | epochs run × steps | batch | best epoch | val macro-F1 "
             "(simulated) | training animals, class weights, EEG gain jitter |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    notes = []
    for name, *_ in TABLE1_ROWS:
        model = ev.get("models", {}).get(name)
        if not model:
            continue
        t = model.get("training") or {}
        if name == "shipped":
            cfg = t.get("train_config") or {}
            val = (t.get("validation_simulated") or {}).get("macro_f1")
            minutes = t.get("train_minutes_cpu")
            animals = ((ev.get("corpus_summary") or {}).get("train") or {}).get("animals", "?")
            lines.append(f"| {model.get('label', name)} | {'–' if minutes is None else f'{minutes * 60:.0f}'} "
                         f"(wall-clock, 2 threads) | – | ≤{cfg.get('epochs', '?')} × "
                         f"{cfg.get('max_steps_per_epoch', '?')} | {cfg.get('batch_size', '?')} | – | "
                         f"{pct(val)} | {animals}, {cfg.get('class_weights', '?')}, "
                         f"{cfg.get('gain_jitter_eeg', '–')} |")
            continue
        r = t.get("recipe") or {}
        recipe = (f"{r.get('train_animals', '?')}, {r.get('class_weights') or '–'}, "
                  f"{'–' if r.get('gain_jitter_eeg') is None else r.get('gain_jitter_eeg')}")
        if t.get("recipe_differs_from_current"):
            notes.append(model.get("label", name))
        val = (t.get("val_best_simulated") or {}).get("val_macro_f1")
        if name == "trees":
            shape = f"{t.get('rounds', '?')} boosting rounds"
            batch, best = "–", "–"
        else:
            shape = f"{t.get('epochs_run', '?')} × {t.get('steps_per_epoch', '?')}"
            if "pretrain" in t:
                pre = t["pretrain"]
                shape = f"pre {pre.get('epochs_run', '?')} + fine {t.get('epochs_run', '?')} × {t.get('steps_per_epoch', '?')}"
            batch, best = t.get("batch_size", "?"), t.get("best_epoch", "?")
        lines.append(f"| {model.get('label', name)} | {t.get('cpu_s', '?')} | {t.get('wall_s', '?')} | "
                     f"{shape} | {batch} | {best} | {pct(val)} | {recipe} |")
    lines.append("")
    if notes:
        lines += ["**Recipe note:** " + ", ".join(notes) + " were trained with an earlier "
                  "version of the training recipe than the shipped model (see the last column: "
                  "fewer training animals, different class weights / gain jitter). They are "
                  "comparable with each other (same split, same recipe, same budget), but the "
                  "shipped model's advantage over them mixes budget and recipe. Delete "
                  "`work-data/eval/` and re-run `scripts/evaluate_models.py` to retrain them with "
                  "the current recipe.", ""]
    return lines


def model_section(card: dict | None, ev: dict) -> list[str]:
    lines = ["## What the model is", ""]
    if not card:
        lines += ["The shipped weights (`resources/weights/sdreamer-seq.safetensors`) were not "
                  "available when this card was rendered; re-run `scripts/model_card.py` once they "
                  "exist.", ""]
        return lines
    cfg = card.get("config", {})
    td = card.get("training_data") or {}
    tc = td.get("train_config") or {}
    lines += [
        f"**{card.get('name', card.get('architecture'))}**: sequence sDREAMER (Chen et al., 2023), "
        "a self-distilled mixture-of-modality-experts transformer. Each 1-s epoch of EEG and EMG "
        f"(resampled to {card.get('sampling_rate', 512)} Hz) is cut into patches of "
        f"{cfg.get('patch_size')} samples and encoded by a {cfg.get('epoch_layers')}-layer epoch "
        f"MoME; a {cfg.get('seq_layers')}-layer sequence MoME reads windows of "
        f"K = {cfg.get('seq_len')} epochs and outputs one prediction per epoch. Three pathways "
        "(EEG, EMG, mix) with their own heads: the same weights score EEG+EMG, EEG alone or EMG "
        "alone.", "",
        f"- Classes: {', '.join(card.get('classes', []))} (1-s epochs; scores are combined into "
        "longer epochs on request)",
        f"- Config: `{json.dumps(cfg, sort_keys=True)}`",
        f"- Preprocessing: `{json.dumps(card.get('preprocessing', {}), sort_keys=True)}`",
        f"- Training: {td.get('train_minutes_cpu', '?')} min on CPU; `TrainConfig` epochs "
        f"{tc.get('epochs', '?')} × ≤{tc.get('max_steps_per_epoch', '?')} steps, batch "
        f"{tc.get('batch_size', '?')} windows, lr {tc.get('lr', '?')}, alpha (self-distillation) "
        f"{tc.get('alpha', '?')}, tau EEG/EMG {tc.get('tau_eeg', '?')}/{tc.get('tau_emg', '?')}, "
        f"class weights {tc.get('class_weights', '?')}, early stopping on validation macro-F1 "
        f"(patience {tc.get('patience', '?')}), EEG gain jitter {tc.get('gain_jitter_eeg', '–')}, "
        f"EMG gain jitter {tc.get('gain_jitter_emg', '–')}. "
        + (f"Warm-started from `{Path(td['initialised_from']).name}`; the minutes cover this "
           f"last run only. Chain of runs: {td.get('history_note') or 'not recorded'}."
           if td.get("initialised_from") else
           "The minutes cover the last `scripts/train_shipped.py` run only: a run started from "
           "earlier weights (`--init`) does not count the earlier runs, and this card does not "
           "record whether it was."),
        f"- Created: {card.get('created', '?')}",
        f"- Weights hash (sha256 of tensors, `weights_sha256`): `{card.get('weights_sha256', '?')}`",
        f"- File hash (sha256 of the .safetensors file): `{card.get('file_sha256', '?')}`",
        "",
    ]
    shipped = ev.get("models", {}).get("shipped")
    if shipped and shipped.get("weights_sha256") not in (None, card.get("weights_sha256")):
        lines += ["**Warning:** docs/evaluation.json was computed for different shipped weights "
                  f"(`{shipped.get('weights_sha256')}`): re-run scripts/evaluate_models.py.", ""]
    return lines


def render(ev: dict, card: dict | None) -> str:
    """The comparison as Markdown."""
    split_info = ev.get("corpus_summary", {})
    lines = [
        "# Architecture comparison on simulated data: sequence sDREAMER and the alternatives",
        "",
        "_Generated by `scripts/model_card.py` from `docs/evaluation.json` "
        f"(generated {ev.get('generated', '?')}) and the shipped weights' card. Do not edit by hand._",
        "",
        "> **Every metric in this card is measured on SIMULATED data.** No labelled real rodent "
        "EEG/EMG exists in this project, so there is no measured accuracy on real recordings.",
        "",
    ]
    lines += model_section(card, ev)
    lines += [
        "## Intended use",
        "",
        "A first pass of Wake / NREM / REM scoring of mouse (rodent) EEG+EMG recordings in 1-s "
        "epochs, inside SleepScorer, for a person to review and correct. It is not a validated "
        "diagnostic or a replacement for expert scoring: check the hypnogram, in particular REM, "
        "and fine-tune on your lab's corrections before relying on it for a study.",
        "",
        "## Data statement",
        "",
        DATA_STATEMENT,
        "",
    ]
    if split_info:
        lines += ["Corpus splits (current corpus, as used by the shipped model; comparison runs "
                  "list their own training-animal count under Training budgets):", "",
                  "| split | animals | 1-s epochs | Wake / NREM / REM epochs |",
                  "| --- | --- | --- | --- |"]
        for split, info in split_info.items():
            counts = " / ".join(str(c) for c in info.get("class_counts", []))
            lines.append(f"| {split} | {info.get('animals')} | {info.get('epochs')} | {counts} |")
        lines += ["", "`test`: " + ev.get("splits", {}).get("test", "") + "; `lab-test`: "
                  + ev.get("splits", {}).get("lab-test", "") + ".", ""]
    lines += ["## Evaluation (SIMULATED data)", "",
              ev.get("honesty", ""), "",
              f"Inference: {ev.get('inference', '')}.", ""]
    for split in ("test", "lab-test"):
        lines += table1(ev, split)
    for split in ("test", "lab-test"):
        lines += table2(ev, split)
    lines += table3(ev)
    lines += budget_section(ev)
    lines += [
        "## Known limitations",
        "",
        "- **No real labelled validation.** All numbers above come from simulated animals; "
        "accuracy on real recordings is unknown. On the one real recording we have (no labels) "
        "the model is compared only with transparent rules, which are not ground truth: see "
        "[docs/real-recording.md](real-recording.md).",
        "- **REM on real data is unverified.** The real recordings contain no unambiguous REM "
        "episode; theta-rich, low-EMG stretches right after waking can be quiet wake or REM.",
        "- **Per-recording normalisation can invent REM in a recording with no sleep.** The "
        "real MiSleep .mat recording (305 Hz, mostly wake with 8-10 Hz theta and active EMG, no "
        "labels): the network alone calls 57 % of it REM, because theta with EMG judged "
        "against the recording's own rolling floor looks like REM when the whole recording is "
        "wake. The app's default rule (REM only from NREM) scores it 100 % Wake. With the rule "
        "off (narcolepsy models), review such REM by eye.",
        "- **MA / Artifact are not predicted** by the shipped model (3 classes: Wake, NREM, REM); "
        "a person sets micro-arousals and artifacts.",
        "- **Stimulation artefacts.** Optogenetic/electrical stimulation trains put a line "
        "(e.g. 20 Hz) and its harmonics into the EEG; the model has not been validated on "
        "stimulated epochs, which should be reviewed by a person.",
        "- The simulator's lab families cover a limited range of electrodes, amplifiers and "
        "strains; the held-out simulated lab measures transfer only to another simulated lab.",
        "- The comparison models had a modest, equal CPU budget; the ranking could change with "
        "longer training.",
        "",
        "## Fine-tuning for your lab",
        "",
        "Correct part of one recording (e.g. the first hour), then Model > Fine-tune on my "
        "corrections in the app, or:",
        "",
        "```bash",
        "sleepscorer export-corrections mouse1.edf mouse1_labels.csv --out corrections/",
        "sleepscorer finetune corrections/ --out ~/my-lab.safetensors",
        "```",
        "",
        "Only epochs a person labelled are targets. The new model is kept only if it beats the "
        "base model on held-out corrections; its card records its parent's hash "
        "(`parent_sha256`) and the metrics before and after. It also keeps a fingerprint of "
        "the corrected recordings and of the training labs (`lab_gate`): recordings that look "
        "more like the training labs are scored by this parent model instead, because on "
        "simulated data no single fine-tuned network kept every training lab "
        "(docs/finetune-benchmark.md).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluation", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--card", type=Path, default=DEFAULT_CARD)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    ev = json.loads(args.evaluation.read_text())
    card = json.loads(args.card.read_text()) if args.card.exists() else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(ev, card))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
