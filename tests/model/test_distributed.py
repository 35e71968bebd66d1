"""Multi-process training as the README shows it: `torchrun --nproc_per_node 2 -m sleepscorer
train ...`, here on CPU (gloo). Both ranks train; only rank 0 writes the model.

A `sitecustomize.py` put on PYTHONPATH records, in each worker, the rank, the world size,
the process group's backend and every `save_model` call, so "only rank 0 writes" is checked
directly rather than inferred from the files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.model.conftest import make_recording

ROOT = Path(__file__).resolve().parents[2]

SITECUSTOMIZE = '''
import atexit, json, os
if "RANK" in os.environ and "SLEEPSCORER_TEST_LOG" in os.environ:
    import torch.distributed as dist
    import sleepscorer_model.weights as weights

    seen = {"rank": int(os.environ["RANK"]), "world": int(os.environ["WORLD_SIZE"]),
            "backend": None, "saves": []}
    real_init, real_save = dist.init_process_group, weights.save_model

    def init_process_group(*args, **kwargs):
        real_init(*args, **kwargs)
        seen["backend"] = str(dist.get_backend())

    def save_model(*args, **kwargs):
        seen["saves"].append(str(args[1] if len(args) > 1 else kwargs["path"]))
        return real_save(*args, **kwargs)

    dist.init_process_group, weights.save_model = init_process_group, save_model

    @atexit.register
    def _write():
        log = os.path.join(os.environ["SLEEPSCORER_TEST_LOG"], f"rank{seen['rank']}.json")
        with open(log, "w") as f:
            json.dump(seen, f)
'''


@pytest.mark.slow
def test_torchrun_two_cpu_processes_train_and_only_rank0_writes(tmp_path):
    from sleepscorer.hypnogram import Hypnogram
    from sleepscorer.io import write_edf
    from sleepscorer.io.labels import write_labels_csv

    data, logs, hook = tmp_path / "data", tmp_path / "logs", tmp_path / "hook"
    for folder in (data, logs, hook):
        folder.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    for i in range(2):
        stages = np.arange(48) // 4 % 3
        write_edf(make_recording(48, stages=stages, seed=i), data / f"m{i}.edf")
        write_labels_csv(Hypnogram.from_arrays(stages), data / f"m{i}_labels.csv")
    out = tmp_path / "models" / "ddp.safetensors"
    env = dict(os.environ, OMP_NUM_THREADS="1", SLEEPSCORER_TEST_LOG=str(logs),
               PYTHONPATH=os.pathsep.join([str(hook), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "sleepscorer", "train", str(data), "--arch", "sdreamer-epoch", "--out", str(out),
           "--epochs", "1", "--batch-size", "8", "--device", "cpu"]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    ranks = {r: json.loads((logs / f"rank{r}.json").read_text()) for r in (0, 1)}
    assert all(s["world"] == 2 and s["backend"] == "gloo" for s in ranks.values()), ranks
    assert ranks[0]["saves"] == [str(out)] and ranks[1]["saves"] == []
    assert sorted(p.name for p in out.parent.iterdir()) == ["ddp.json", "ddp.safetensors"]
    assert done.stderr.count(f"wrote {out}") == 1

    from sleepscorer_model.weights import load_model

    loaded = load_model(out)
    assert loaded.architecture == "sdreamer-epoch"
    split = loaded.card["training_data"]
    assert len(split["train_subjects"]) == len(split["val_subjects"]) == 1
    assert sorted(split["train_subjects"] + split["val_subjects"]) == ["m0", "m1"]
