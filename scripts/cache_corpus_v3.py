"""Cache corpus v3, the simulated corpus the shipped weights learnt, and check it is the same.

This checkout simulates corpus v5 only (`model.corpus.CORPUS_VERSION`); the shipped tensors
(releases 8-11) were trained on v3, made by the simulator as it stood at git commit 766885e.
Retraining on v5 gives another model (7 points lower on the alternative generator with release
8's recipe, docs/transfer.md session 13), so a retraining that should repeat the shipped one, or
an experiment to compare with it, needs v3. The feature code that turns a simulated animal into
cached arrays has not changed since, so the old simulator's animals go through this checkout's
cache layout unchanged.

    .venv/bin/python scripts/cache_corpus_v3.py [--cache work-data/corpus] [--jobs 2]
    .venv/bin/python scripts/train_shipped.py ... --corpus-version 3

It adds a git worktree of 766885e in a temporary folder, runs the old simulator from there
(each animal is a child process with only that worktree on its path), writes
`CACHE/v3/*.npy`, removes the worktree, and compares each split's class counts with the shipped
card (train 94060 / 110110 / 14786 Wake / NREM / REM epochs). Needs the full git history.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
V3_COMMIT = "766885e7ce181e5829cfba393914680861238d0f"
MSSV = ROOT.parent / "shared" / "data" / "mssv-hypnograms"

CHILD = """
import sys
from pathlib import Path
import numpy as np
import sleepscorer_model
assert sleepscorer_model.__file__.startswith({tree!r}), sleepscorer_model.__file__
from sleepscorer_model.corpus import CORPUS_VERSION, PREPROCESS, CorpusSpec, plan, simulate_animal
from sleepscorer_model.data import prepare_subject
assert CORPUS_VERSION == 3, CORPUS_VERSION
k, n, cache, mssv = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
spec = CorpusSpec()
for i, a in enumerate(plan(spec, mssv)):
    files = [cache / f"{{a.subject}}-{{part}}.npy" for part in ("eeg", "emg", "labels")]
    if i % n != k or all(f.exists() for f in files):
        continue
    recording, hyp = simulate_animal(a, spec.hours, mssv)
    data = prepare_subject(recording, hyp, subject=a.subject, cfg=PREPROCESS)
    for f, arr in zip(files, (data.eeg, data.emg, data.labels)):
        np.save(f, arr)
    print(a.subject, a.split, flush=True)
"""


def simulate(cache: Path, jobs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sleepscorer-v3-") as tmp:
        tree, path = Path(tmp) / "tree", Path(tmp) / "path"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), V3_COMMIT],
                       check=True, capture_output=True)
        try:
            path.mkdir()
            (path / "sleepscorer_model").symlink_to(tree / "model")  # its install name
            env = {"PYTHONPATH": f"{path}:{tree}", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
            code = CHILD.format(tree=str(path))
            # run from the temporary folder: the current folder comes first on sys.path
            procs = [subprocess.Popen([sys.executable, "-c", code, str(k), str(jobs), str(cache),
                                       str(MSSV)], cwd=tmp, env=env) for k in range(jobs)]
            if any(p.wait() for p in procs):
                sys.exit("a simulation failed; see above")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)


def check(cache_root: Path) -> bool:
    from sleepscorer_model.corpus import CorpusSpec, load_corpus, summary
    from sleepscorer_model.weights import default_weights_path

    card = json.loads(default_weights_path().with_suffix(".json").read_text())
    shipped = card["training_data"]["splits"]
    made = summary(load_corpus(CorpusSpec(), cache_root, MSSV, version=3, log=lambda _m: None))
    same = True
    for split, counts in shipped.items():
        ok = made[split]["class_counts"] == counts["class_counts"]
        same &= ok
        print(f"{split:>9}: {made[split]['class_counts']} {'=' if ok else '!='} card "
              f"{counts['class_counts']}")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=ROOT / "work-data" / "corpus")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    folder = args.cache / "v3"
    folder.mkdir(parents=True, exist_ok=True)
    simulate(folder.resolve(), args.jobs)
    if not check(args.cache):
        sys.exit("corpus v3 differs from the one the shipped weights learnt")
    print(f"corpus v3 cached in {folder}, the same as the shipped card's")


if __name__ == "__main__":
    main()
