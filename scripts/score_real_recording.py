"""Score the real Open Ephys recording (29 min, one mouse, NO labels) with the shipped model and
compare it with the transparent rule-based segmentation (sleepscorer.core.state_rules).

    python scripts/score_real_recording.py [--weights FILE] [--recording DIR]

Writes docs/real-recording.png (model hypnogram, confidence, rules, EMG RMS with its local
baseline, EEG theta/delta and delta power, stimulation trigger) and docs/real-recording.md.
The rules are NOT ground truth: agreement with them is a sanity check, not an accuracy.
matplotlib is a dev-only dependency of this script (not of the app).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from sleepscorer_model.inference import score  # noqa: E402
from sleepscorer_model.metrics import class_f1, evaluate  # noqa: E402
from sleepscorer_model.trees import TreesModel  # noqa: E402
from sleepscorer_model.weights import load_model  # noqa: E402

from sleepscorer.core.state_rules import segment, volts  # noqa: E402
from sleepscorer.core.stimulation import AFTER_S, around_trains, find_trigger  # noqa: E402
from sleepscorer.errors import ModelError  # noqa: E402
from sleepscorer.io import load_recording  # noqa: E402
from sleepscorer.stages import MODEL_CLASSES_3, STAGE_COLORS, mask_runs  # noqa: E402

SHIPPED = ROOT / "resources" / "weights" / "sdreamer-seq.safetensors"
TREES = ROOT / "resources" / "weights" / "trees-reference.json"
CHECKPOINT = ROOT / "work-data" / "checkpoints" / "sdreamer-seq-last.safetensors"
REAL = ROOT.parent / "shared" / "data" / "real" / "openephys-mouse-29min"
DEMO = ROOT / "resources" / "demo" / "openephys-mouse-29min"
NAMES = tuple(s.label for s in MODEL_CLASSES_3)
COLOURS = tuple(STAGE_COLORS[s] for s in MODEL_CLASSES_3)  # Okabe-Ito: Wake, NREM, REM
AMBIGUOUS = (143, 165)  # s: theta-rich, low-EMG stretch right after waking (quiet wake or REM?)


def ambiguous_span(source: Path) -> tuple[int, int] | None:
    """The demo's known ambiguous stretch; other recordings have none marked."""
    return AMBIGUOUS if "openephys" in str(source).lower() else None


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    return mask_runs(mask)


def fractions(stages: np.ndarray) -> dict[str, float]:
    n = max(1, len(stages))
    return {name: float((stages == i).sum() / n) for i, name in enumerate(NAMES)}


def fmt_frac(stages: np.ndarray) -> str:
    return ", ".join(f"{k} {v:.0%}" for k, v in fractions(stages).items() if v > 0) or "-"


def fmt_shares(shares: dict) -> str:
    """core.stimulation's {Stage: share} in the report's words."""
    return ", ".join(f"{s.label} {v:.0%}" for s, v in sorted(shares.items()) if v > 0) or "-"


def load_weights(path: Path):  # noqa: ANN201
    for attempt in range(5):  # the training checkpoint may be being rewritten
        try:
            return load_model(path)
        except ModelError:
            if attempt == 4:
                raise
            time.sleep(3)
    return None


def analyse(rec, loaded, trees=None) -> dict:  # noqa: ANN001
    result = score(rec, loaded, modality="both", device="cpu")
    mono = {m: score(rec, loaded, modality=m, device="cpu").stages for m in ("eeg", "emg")}
    rules = segment(rec)
    n = min(len(result.stages), len(rules.stages))
    model = result.stages[:n].astype(int)
    ref = rules.stages[:n].astype(int)
    stim = rules.stimulation[:n]
    tree = None if trees is None else trees.score(rec).argmax(1)[:n].astype(int)
    consensus = None
    if "openephys-mouse-29min" in str(rec.source):
        from anchors import demo_consensus

        consensus = np.full(n, -1)
        c = demo_consensus()[:n]
        consensus[: len(c)] = c
    return {"model": model, "trees": tree, "consensus": consensus, "conf": result.confidence[:n], "probs": result.probabilities[:n],
            "rules": ref, "stim": stim, "features": rules.features, "thresholds": rules.thresholds,
            "agree_all": evaluate(ref, model, 3), "agree_nostim": evaluate(ref[~stim], model[~stim], 3),
            "mono": {m: v[:n].astype(int) for m, v in mono.items()}, "n": n}


def plot(a: dict, rec, out: Path, title: str) -> None:  # noqa: ANN001, PLR0915
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    n = a["n"]
    t = np.arange(n) + 0.5
    f = a["features"]
    th = a["thresholds"]
    stim_runs = runs(a["stim"])
    fig, axes = plt.subplots(8, 1, figsize=(15, 14), sharex=True,
                             gridspec_kw={"height_ratios": [0.6, 0.6, 1, 0.6, 1.4, 1.2, 1.2, 0.6]})

    def hypno(ax, stages, label):  # noqa: ANN001, ANN202
        for i, c in enumerate(COLOURS):
            ax.broken_barh([(s, e - s) for s, e in runs(stages == i)], (0, 1), facecolors=c)
        ax.set_yticks([0.5])
        ax.set_yticklabels([label])
        ax.set_ylim(0, 1)

    hypno(axes[0], a["model"], "model\n(sDREAMER)")
    if a.get("consensus") is not None:  # blank: the two anchors disagree
        hypno(axes[1], a["consensus"], "anchor\nconsensus")
    elif a.get("trees") is not None:
        hypno(axes[1], a["trees"], "tree\nreference")
    span = ambiguous_span(rec.source)
    axes[0].legend(handles=[Patch(color=c, label=nm) for nm, c in zip(NAMES, COLOURS, strict=True)]
                   + [Patch(facecolor="0.5", alpha=0.3, label="stimulation train")]
                   + ([Patch(facecolor="none", edgecolor="#CC79A7", hatch="//",
                             label=f"{span[0]}-{span[1]} s: quiet wake or REM? (ambiguous)")] if span else []),
                   loc="lower left", bbox_to_anchor=(0, 1.02), ncol=5, frameon=False, fontsize=9)
    axes[2].plot(t, a["conf"], color="0.2", lw=0.7)
    axes[2].set_ylim(0.3, 1.02)
    axes[2].set_ylabel("model\nconfidence")
    hypno(axes[3], a["rules"], "rules\n(not truth)")

    rms_uv = f.emg_rms[:n] * 1e6
    base_uv = f.emg_baseline[:n] * 1e6
    axes[4].semilogy(t, rms_uv, color="0.35", lw=0.6, label="EMG RMS 25-200 Hz")
    axes[4].semilogy(t, base_uv, color="#D55E00", lw=1.4, label="local baseline (10th pct, 5 min)")
    axes[4].semilogy(t, base_uv * th["emg_wake_factor"], color="#D55E00", lw=0.9, ls="--",
                     label=f"Wake threshold (baseline x {th['emg_wake_factor']:.2f})")
    axes[4].set_ylabel("EMG RMS (uV)")
    axes[4].legend(loc="upper right", fontsize=8, ncol=3)

    td = np.log10(f.theta_delta[:n])
    axes[5].plot(t, td, color="0.6", lw=0.5)
    axes[5].plot(t, np.convolve(td, np.ones(5) / 5, "same"), color="#CC79A7", lw=1.0,
                 label="log10 theta/delta (6-9 / 0.5-4 Hz), 5-s mean")
    axes[5].axhline(th["log10_theta_delta"], color="k", ls="--", lw=0.8, label="rule threshold")
    axes[5].set_ylabel("log10\ntheta/delta")
    axes[5].legend(loc="upper right", fontsize=8, ncol=2)

    ld = np.log10(np.maximum(f.delta[:n], 1e-30) * 1e12)
    axes[6].plot(t, ld, color="0.6", lw=0.5)
    axes[6].plot(t, np.convolve(ld, np.ones(5) / 5, "same"), color="#0072B2", lw=1.0,
                 label="log10 delta power 0.5-4 Hz (uV^2), 5-s mean")
    axes[6].axhline(th["log10_delta_floor"] + 12, color="k", ls="--", lw=0.8, label="rule NREM floor")
    axes[6].set_ylabel("log10 delta\n(uV^2)")
    axes[6].legend(loc="upper right", fontsize=8, ncol=2)

    trig = find_trigger(rec)
    if trig is not None:
        x = volts(trig)
        step = max(1, int(trig.rate / 20))
        m = len(x) // step
        xs = x[: m * step].reshape(m, step).max(1)
        axes[7].plot(np.arange(m) * step / trig.rate, xs, color="0.2", lw=0.6)
    axes[7].set_ylabel("trigger")
    axes[7].set_yticks([])
    axes[7].set_xlabel("time (s)")

    for ax in axes:
        for s, e in stim_runs:
            ax.axvspan(s, e, color="0.5", alpha=0.3, lw=0)
        if span:
            ax.axvspan(*span, facecolor="none", edgecolor="#CC79A7", hatch="//", lw=0.0, alpha=0.6)
        ax.set_xlim(0, n)
    fig.suptitle(title, fontsize=11, y=0.995)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def report(a: dict, weights: Path, loaded, rec_path: Path, png: Path) -> str:  # noqa: ANN001, PLR0915
    n, model, rules, stim, conf = a["n"], a["model"], a["rules"], a["stim"], a["conf"]
    ag, agn = a["agree_all"], a["agree_nostim"]
    f = a["features"]
    lines = [
        "# The shipped model on a real recording (no labels)",
        "",
        f"Generated by `scripts/score_real_recording.py`; figure: `docs/{png.name}`.",
        "",
        f"Recording: `{rec_path.name}` (one mouse, {n / 60:.1f} min, "
        f"{'Open Ephys' if rec_path.is_dir() else rec_path.suffix.lstrip('.').upper() + ' file'}; "
        f"EEG, EMG{' and a stimulation trigger' if stim.any() else ''}). "
        "**There are no expert labels for it.** The comparison below is "
        "with the transparent rules of `sleepscorer/core/state_rules.py` (EMG tone vs a local "
        "baseline, EEG theta/delta and delta power), which are a sanity check, NOT ground truth.",
        "",
        f"Model: `{weights.relative_to(ROOT) if weights.is_relative_to(ROOT) else weights}` "
        f"({loaded.name}; weights sha256 `{loaded.card['weights_sha256'][:16]}...`), EEG+EMG, "
        "deployed inference path (1-s epochs, overlapping windows of K epochs).",
        "",
        "## Time in each state",
        "",
        "| | Wake | NREM | REM |",
        "| --- | --- | --- | --- |",
    ]
    for label, st in (("model (EEG+EMG)", model), ("model, EEG only", a["mono"]["eeg"]),
                      ("model, EMG only", a["mono"]["emg"]), ("rules (not truth)", rules)):
        cells = [f"{(st == i).sum() / 60:.1f} min ({(st == i).mean():.0%})" for i in range(3)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cm = np.asarray(ag["confusion"])
    if a.get("trees") is not None:
        tree = a["trees"]
        lines.append("| tree reference | " + " | ".join(
            f"{(tree == i).sum() / 60:.1f} min ({(tree == i).mean():.0%})" for i in range(3)) + " |")
        differ = runs(tree != model)
        longest = sorted(differ, key=lambda r: r[0] - r[1])[:6]
        lines += ["", "## Agreement with the tree reference", "",
                  "The tree reference is LightGBM on percentile-scaled band powers with +-8 epochs of context, "
                  "trained on the same simulated corpus. Trained on the first simulator, its recipe "
                  "scored real mice 0.91-0.97 against experts (measured outside the project); "
                  "trained on this corpus it need not, so check it against the anchor consensus "
                  "where there is one. Agreement is not accuracy.", "",
                  f"- Agreement with sDREAMER: **{(tree == model).mean():.1%}** of {n} epochs "
                  f"({len(differ)} stretches of disagreement).",
                  "- Longest stretches where they disagree (s: sDREAMER / tree): "
                  + (", ".join(f"{s0}-{e0} ({fmt_frac(model[s0:e0])} / {fmt_frac(tree[s0:e0])})"
                               for s0, e0 in longest) or "none") + "."]
    if a.get("consensus") is not None:
        cons = a["consensus"]
        keep = cons >= 0
        lines += ["", "## Agreement with the anchor consensus", "",
                  "Two scorers were measured against this mouse's expert outside the project (the "
                  "first shipped network 0.872, the first tree 0.912; tests/data/README.md). Where "
                  "they agree the expert almost surely agrees too: that consensus (blank in the "
                  "figure's second row where they disagree) is the best reference on real data here. "
                  "Agreement with it is not an accuracy.", "",
                  f"- Agreement on the {int(keep.sum())} consensus epochs: "
                  f"**{np.mean(model[keep] == cons[keep]):.1%}**"
                  + (f" (the tree reference: {np.mean(a['trees'][keep] == cons[keep]):.1%})."
                     if a.get("trees") is not None else ".")]
    lines += [
        "",
        "## Agreement with the rules (NOT ground truth)",
        "",
        f"- All {n} epochs: agreement **{ag['accuracy']:.1%}**, Cohen's kappa **{ag['kappa']:.2f}** "
        f"(per-state F1 vs rules: Wake {class_f1(ag, 0):.2f}, NREM {class_f1(ag, 1):.2f}, "
        f"REM {class_f1(ag, 2):.2f}).",
        f"- Without the {int(stim.sum())} stimulation epochs: agreement {agn['accuracy']:.1%}, "
        f"kappa {agn['kappa']:.2f}.",
        f"- Mean model confidence {conf.mean():.2f}; epochs with confidence < 0.6: "
        f"{(conf < 0.6).mean():.1%}.",
        "",
        "Epoch counts (rows: rules, columns: model):",
        "",
        "| rules \\ model | Wake | NREM | REM |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {NAMES[i]} | " + " | ".join(str(v) for v in cm[i]) + " |" for i in range(3)]
    # NREM by the rules that the model calls Wake: longest such stretches
    miss = runs((rules == 1) & (model == 0))
    miss = sorted(miss, key=lambda r: r[0] - r[1])[:3]
    lines += [
        "",
        f"Rules-NREM epochs the model calls Wake: {int(((rules == 1) & (model == 0)).sum())} of "
        f"{int((rules == 1).sum())}; longest such stretches: "
        + (", ".join(f"{s}-{e} s ({e - s} s)" for s, e in miss) or "none") + ".",
    ]
    rem_model = runs(model == 2)
    lines.append(f"Model REM bouts: {len(rem_model)}"
                 + (f" (longest {max(e - s for s, e in rem_model)} s: "
                    + ", ".join(f"{s}-{e} s" for s, e in sorted(rem_model, key=lambda r: r[0] - r[1])[:3]) + ")"
                    if rem_model else "") + "; rules REM-candidate bouts: "
                 + f"{len(runs(rules == 2))}.")
    lines += ["", "## Stimulation trains", "",
              f"Trains found from the trigger channel (epochs padded by 1 s); the model's states "
              f"during each train and in the {AFTER_S:g} s after it:", "",
              "| train | during | next 60 s | first non-Wake epoch after the train | rules, next 60 s |",
              "| --- | --- | --- | --- | --- |"]
    trains = runs(stim)
    as_stages = np.asarray(MODEL_CLASSES_3)
    by_rules = around_trains(as_stages[rules], trains, after_s=AFTER_S)
    for (s, e), t, r in zip(trains, around_trains(as_stages[model], trains, after_s=AFTER_S), by_rules,
                            strict=True):
        first = "none" if t.sleep_after_s is None else f"{e + t.sleep_after_s:.0f} s (+{t.sleep_after_s:.0f} s)"
        lines.append(f"| {s}-{e} s | {fmt_shares(t.during)} | {fmt_shares(t.after)} | {first} | "
                     f"{fmt_shares(r.after)} |")
    # assessment: flags a model that misses the quiet, delta-rich stretches the rules call NREM
    quiet = (rules == 1) & ~stim
    missed = float(((model == 0) & quiet).sum() / max(1, quiet.sum()))
    eeg_nrem, emg_nrem = (float((a["mono"][m] == 1).mean()) for m in ("eeg", "emg"))
    lines += ["", "## Assessment", ""]
    if missed > 0.5:
        lines.append(f"**Problem:** the model calls {missed:.0%} of the epochs the rules call NREM "
                     f"(low EMG against the local baseline, theta/delta below threshold, delta above "
                     f"its floor) Wake, and scores only {(model == 1).mean():.0%} of the recording "
                     f"NREM against the rules' {(rules == 1).mean():.0%}. The EEG pathway alone "
                     f"scores {eeg_nrem:.0%} NREM, the EMG pathway alone {emg_nrem:.0%}: the Wake "
                     "calls come from how the model reads this low-amplitude, weak-delta EEG. The "
                     "rules are not ground truth, but long low-EMG, delta-dominated stretches are "
                     "unlikely to be Wake.")
    else:
        lines.append(f"The model calls {missed:.0%} of the rules' NREM epochs Wake; NREM "
                     f"{(model == 1).mean():.0%} (model) vs {(rules == 1).mean():.0%} (rules).")
    if ambiguous_span(Path(rec_path)) is None:
        return "\n".join(lines)
    a0, a1 = AMBIGUOUS
    rel = f.emg_relative[a0:a1]
    lines += ["", f"## The ambiguous {a0}-{a1} s stretch", "",
              f"Theta-rich, low-EMG epochs right after waking: quiet wake or REM cannot be told "
              f"apart here without labels (rodents normally enter REM from NREM). Model: "
              f"{fmt_frac(model[a0:a1])} (mean confidence {conf[a0:a1].mean():.2f}; mean "
              f"P(REM) {a['probs'][a0:a1, 2].mean():.2f}). Rules: {fmt_frac(rules[a0:a1])}. "
              f"EMG/baseline median {np.median(rel):.2f}, log10 theta/delta median "
              f"{np.median(np.log10(f.theta_delta[a0:a1])):.2f} (rule threshold "
              f"{a['thresholds']['log10_theta_delta']:.2f}).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--recording", type=Path, default=REAL if REAL.exists() else DEMO)
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "real-recording.png")
    parser.add_argument("--md", type=Path, default=ROOT / "docs" / "real-recording.md")
    args = parser.parse_args()
    weights = args.weights or (SHIPPED if SHIPPED.exists() else CHECKPOINT)
    loaded = load_weights(weights)
    rec = load_recording(args.recording)
    trees = TreesModel.load(TREES) if TREES.exists() else None
    a = analyse(rec, loaded, trees)
    provisional = "" if weights == SHIPPED else " [PROVISIONAL: training checkpoint, not the shipped weights]"
    title = (f"REAL recording {args.recording.name} (no labels) scored by {loaded.name}{provisional}\n"
             "'rules' row = transparent rule-based segmentation (state_rules), NOT ground truth")
    plot(a, rec, args.png, title)
    text = report(a, weights, loaded, args.recording, args.png)
    if provisional:
        text = text.replace("(no labels)\n", f"(no labels){provisional}\n", 1)
    args.md.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
