"""Train the tree reference (model/trees.py) on the training animals of the simulated corpus.

    python scripts/train_trees.py [--out resources/weights/trees-reference.json]

Same animals as the shipped sDREAMER (model/corpus.py: train split; the held-out lab and
animals stay out), re-simulated from the corpus plan. EEG+EMG and EEG-only models.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sleepscorer_model.corpus import CorpusSpec, plan, simulate_animal  # noqa: E402
from sleepscorer_model.data import stages_to_classes  # noqa: E402
from sleepscorer_model.trees import TreesModel  # noqa: E402

MSSV = ROOT.parent / "shared" / "data" / "mssv-hypnograms"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "resources" / "weights" / "trees-reference.json")
    p.add_argument("--rounds", type=int, default=300)
    p.add_argument("--per-lab", type=int, default=3, help="animals per training lab (0: all)")
    args = p.parse_args()
    spec = CorpusSpec()
    animals = [a for a in plan(spec, MSSV) if a.split in ("train", "val")]
    if args.per_lab:  # the reference as published: a few animals per training lab
        animals = [a for lab in spec.train_labs for a in animals if a.lab == lab][:0] or [
            a for i, a in enumerate(animals) if sum(b.lab == a.lab for b in animals[:i]) < args.per_lab]
    started = time.perf_counter()
    feats = {True: [], False: []}
    labels = []
    for a in animals:
        rec, hyp = simulate_animal(a, spec.hours, MSSV)
        y = stages_to_classes(hyp.stages)
        for with_emg in (True, False):
            x = TreesModel(with_emg=with_emg).features(rec)
            feats[with_emg].append(x)
        labels.append(y[: len(feats[True][-1])])
        print(f"features of {a.subject} ({time.perf_counter() - started:.0f} s)", flush=True)
    for with_emg in (True, False):
        model = TreesModel(with_emg=with_emg).fit(feats[with_emg], labels, rounds=args.rounds)
        out = args.out if with_emg else args.out.with_name(args.out.stem + "-eeg.json")
        model.save(out, training_data={
            "statement": "SIMULATED corpus (model/corpus.py train+val animals); no real labels",
            "animals": [a.subject for a in animals], "epochs": int(sum(map(len, labels)))})
        print(f"saved {out} ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
