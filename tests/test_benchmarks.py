"""The benchmark scripts still run (their figures are theirs to print; nothing here is timed)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202 - the module
    """benchmarks/NAME.py as a module (in sys.modules while the test runs: dataclasses need it)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_bench_gpu_without_cuda_says_so_and_succeeds(monkeypatch):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present: the benchmark would measure instead")
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_gpu.py")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == _load("bench_gpu", monkeypatch).NO_CUDA


def test_bench_batch_loads_weights_once_with_the_cache(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    bench = _load("bench_batch", monkeypatch)
    threads = torch.get_num_threads()
    best = bench.run(n_files=2, minutes=2, repeats=1, threads=1, folder=tmp_path)
    assert torch.get_num_threads() == threads  # the benchmark leaves the setting as it was
    before, cached, cli = (best[mode] for mode in bench.MODES)
    assert (before.loads, cached.loads, cli.loads) == (2, 1, 1)
    assert all(len(p.file_seconds) == 2 and p.total > 0 for p in best.values())
    written = sorted(p.name for p in (tmp_path / "out0_2").glob("*_scored.csv"))
    assert len(written) == 2
    report = bench.report(best, 2, 2, 1, 1)
    assert all(mode in report for mode in bench.MODES)


def test_bench_video_seek_checks_every_frame_it_times(tmp_path, monkeypatch):
    pytest.importorskip("av")
    bench = _load("bench_video_seek", monkeypatch)
    path = bench.make_video(tmp_path, minutes=0.5, gop=30)
    results = bench.measure(path, repeats=2)
    assert set(results) == {"open", "forward jump", "backward jump", "step +1 s", "step -1 s",
                            "next frame"}
    assert all(len(v) == 2 for k, v in results.items() if k != "open")
