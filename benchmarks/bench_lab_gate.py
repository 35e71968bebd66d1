"""Where does a fine-tuned model's lab gate send fresh animals? (simulated data)

For each shifted lab family: the gate is fitted exactly as `finetune` fits it (the first 20 %
of 3 animals of 100 min as the corrected recordings; 12 fresh 5-min animals per training lab),
then fresh 30-min animals of the shifted lab and of every training lab are routed. A lab
animal sent to the parent loses the fine-tuning gain (it is scored as before); a training-lab
animal let through is scored by the fine-tuned network (which can forget that lab).

Usage: nice -n 5 python benchmarks/bench_lab_gate.py [--animals 8]   Writes docs/lab-gate.md.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_finetune import animals
    from sleepscorer_model.corpus import TRAIN_LABS
    from sleepscorer_model.data import prepare_subject
    from sleepscorer_model.domain import token_encoder
    from sleepscorer_model.finetune import FinetuneConfig
    from sleepscorer_model.forgetting import fit_gate, training_lab_data
    from sleepscorer_model.frontend import make_source  # the front end the card names
    from sleepscorer_model.inference import source_profile
    from sleepscorer_model.preprocess import PreprocessConfig
    from sleepscorer_model.weights import default_weights_path, load_model

    from sleepscorer.io.atomic import write_text_atomic

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labs", nargs="+", default=["lab_c_shifted", "lab_e_shifted",
                                                  "lab_a_shifted"])
    ap.add_argument("--animals", type=int, default=8, help="fresh animals per lab")
    ap.add_argument("--out", type=Path, default=ROOT / "docs/lab-gate.md")
    args = ap.parse_args()
    base = load_model(default_weights_path())
    prep = PreprocessConfig(**base.card["preprocessing"])
    cfg = FinetuneConfig()
    training = training_lab_data(base, cfg.gate_minutes * cfg.gate_animals, cfg.seed + 2,
                                 relabel=False, animals=cfg.gate_animals)
    rows = ["| corrected lab | its fresh animals through the gate | training-lab animals "
            "let through (lab_a, lab_c, lab_d, lab_e) |", "|---|---|---|"]
    for lab in args.labs:
        corrected = []
        for i, (rec, hyp) in enumerate(animals(lab, 3, 100.0, seed=7100)):
            s = prepare_subject(rec, hyp, base.classes, f"{lab}-{i}-run000", prep)
            corrected.append(s.slice(0, len(s) // 5))
        gate = fit_gate(corrected, training, base.module)
        encoder = token_encoder(base.module)
        through = {}
        for name in (lab, *TRAIN_LABS):
            recs = animals(name, args.animals, 30.0, seed=7400)
            through[name] = sum(gate.matches(source_profile(make_source(r, prep), encoder))
                                for r, _ in recs)
        foreign = ", ".join(str(through[t]) for t in TRAIN_LABS)
        rows.append(f"| {lab} | {through[lab]} of {args.animals} | {foreign} (of "
                    f"{args.animals} each) |")
        print(rows[-1], flush=True)
    text = "\n".join([
        "# The lab gate on fresh simulated animals",
        "",
        "**Simulated data only.** Run "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `benchmarks/bench_lab_gate.py` on the "
        f"bundled weights (sha256 {str(base.card.get('weights_sha256'))[:12]}).",
        "",
        __doc__.split("\n\n")[1].replace("\n", " "),
        "",
        *rows,
        "",
        "**Release 8 (spectral sDREAMER): the gate lets no fresh animal of a corrected lab "
        "through.** The fingerprint of a spectral model is now its features' own percentiles "
        "(v3; v2 took an FFT of the feature vector and gave the same 0 of 8). Its scaled "
        "features are scaled per recording, so every lab's look alike, and a lab's fresh "
        "animals are no nearer its corrected recordings than the training animals are. "
        "Fine-tuning keeps a gate only when the fine-tuned network alone loses more than 1 point "
        "on a training lab (in `docs/finetune-benchmark.md` it never did, so the fine-tuned "
        "network scored every recording); when it keeps one, new recordings go to the parent: "
        "safe, but without the gain. A fingerprint that tells labs apart after scaling is "
        "open work. The history below is of the raw-sample model.",
        "",
        "The gate is conservative by design: a recording goes to the fine-tuned model only when "
        "it is at least 10 % nearer one of the corrected recordings than any training-lab "
        "animal. Animals of "
        "the lab unlike the three corrected ones fall back to the bundled model (no gain, no "
        "loss); correcting a stretch of more animals adds their fingerprints and widens it. "
        "With band-power percentiles alone (fingerprint v1) the same check let through 5, 1 "
        "and 3 of 8 (no margin); adding the parent model's token statistics (v2) raised that "
        "to 4, 6 and 6 without a margin but let 1 of 12 other fresh lab_c animals through "
        "(ratio 0.97, in the fine-tuning benchmark's own check), hence the 10 % margin. "
        "Loosening the v1 rule instead (comparing with "
        "the expected nearest of as many training-lab animals as there are corrected "
        "recordings) passed 8, 5 and 8 lab animals but also 2, 4 and 3 of the 32 training-lab "
        "animals; a training-lab recording scored by the fine-tuned network can lose more than "
        "10 points, so the rule stays strict.",
        ""])
    write_text_atomic(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
