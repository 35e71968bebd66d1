"""Mixed precision and batch size for scoring: CUDA (fp32 / fp16 / bf16 autocast) and CPU bf16.

CUDA section (default): a simulated 24 h recording at 512 Hz scored with the shipped weights
through the pieces of `model.inference` and `model.reading` (`make_source` front end, `_Scorer.run`: epoch
encoder, then the sequence pass), once per precision and batch size. The scorer's own
autocast (`_Scorer.autocast`, bf16 where the GPU has it, else fp16) is replaced per row from
here; model/reading.py is not changed. Prints seconds (whole run, epoch encoder, sequence pass),
peak GPU memory, and 1-s label agreement with fp32 at the first batch size, then the
shipped `score()` end to end. Without a CUDA device it prints "no CUDA device: nothing to
measure" and exits with status 0.

CPU section (--section cpu or all): bf16 autocast of the epoch encoder only
(`torch.autocast("cpu", dtype=torch.bfloat16)`), and of encoder plus sequence pass, against
fp32, on a simulated 3 h recording: seconds per stage, largest token difference, label
agreement; says whether the CPU has avx512_bf16 / amx_bf16 (/proc/cpuinfo).

Labels are the argmax of the 1-s probabilities before the REM rule and the quality gate
(those apply the same to every row).

Usage: python benchmarks/bench_gpu.py [--section cuda|cpu|all] [--hours 24]
       [--batch-sizes 512 1024 4096 16384] [--cpu-hours 3]
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NO_CUDA = "no CUDA device: nothing to measure"


def cuda_device():  # noqa: ANN201 - torch.device | None; torch is imported lazily
    """The GPU, or None; `model.device.pick_device` is the one place that asks torch."""
    from sleepscorer_model.device import pick_device

    from sleepscorer.errors import ModelError

    try:
        return pick_device("cuda")
    except ModelError:
        return None


def cpu_flags(path: Path = Path("/proc/cpuinfo")) -> set[str]:
    try:
        text = path.read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


@dataclass
class Row:
    name: str
    batch_size: int
    seconds: float
    encode_s: float
    sequence_s: float
    labels: object  # np.ndarray of class indices
    probs: object  # np.ndarray (n, C)
    tokens: object | None = None  # torch.Tensor of epoch tokens, when kept
    peak_mb: float = float("nan")


class _Timed:
    """Wraps a scorer method: runs it inside `context()`, adds its seconds, keeps outputs."""

    def __init__(self, fn: Callable, context: Callable, sync: Callable[[], None],
                 keep: bool = False):
        self.fn, self.context, self.sync, self.keep = fn, context, sync, keep
        self.seconds = 0.0
        self.outputs: list = []

    def __call__(self, *args):
        import torch

        self.sync()
        start = time.perf_counter()
        with self.context():
            out = self.fn(*args)
        out = out.float() if isinstance(out, torch.Tensor) else out
        self.sync()
        self.seconds += time.perf_counter() - start
        if self.keep:
            self.outputs.append(out.detach().cpu())
        return out


def score_pieces(loaded, source, device, batch_size: int, encode_ctx: Callable,  # noqa: ANN001
                 sequence_ctx: Callable, name: str, keep_tokens: bool = False) -> Row:
    """One run of `_Scorer` over the whole source with the given autocast per stage."""
    import numpy as np
    import torch
    from sleepscorer_model.reading import _Scorer

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    scorer = _Scorer(loaded, source, "both", device, batch_size)
    scorer.autocast = contextlib.nullcontext  # the precision comes from the wrappers below
    enc = _Timed(scorer.encode, encode_ctx, sync, keep_tokens)
    seq = _Timed(scorer.sequence, sequence_ctx, sync)
    scorer.encode, scorer.sequence = enc, seq
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    n = source.n_epochs
    sync()
    start = time.perf_counter()
    with torch.inference_mode():
        probs = scorer.run(n, max(8192, batch_size), None, None)
    sync()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else float("nan")
    tokens = torch.cat(enc.outputs) if keep_tokens else None
    return Row(name, batch_size, seconds, enc.seconds, seq.seconds, np.argmax(probs, 1), probs,
               tokens, peak)


def simulate(hours: float, seed: int):  # noqa: ANN201 - Recording
    from sleepscorer_model.simulation import simulate_recording

    start = time.perf_counter()
    recording, _ = simulate_recording(hours * 3600.0, 512.0, seed)
    print(f"simulated {hours:g} h at 512 Hz in {time.perf_counter() - start:.1f} s")
    return recording


def front_end(loaded, recording):  # noqa: ANN001, ANN201 - the model's EpochSource
    from sleepscorer_model.frontend import make_source
    from sleepscorer_model.preprocess import PreprocessConfig

    start = time.perf_counter()
    source = make_source(recording, PreprocessConfig(**loaded.card.get("preprocessing", {})))
    print(f"front end ({loaded.card.get('preprocessing', {}).get('front_end', 'raw')}, CPU): "
          f"{time.perf_counter() - start:.2f} s for {source.n_epochs} epochs")
    return source


def agreement(row: Row, ref: Row) -> str:
    import numpy as np

    same = float(np.mean(row.labels == ref.labels))
    differ = int(np.sum(row.labels != ref.labels))
    dp = float(np.max(np.abs(row.probs - ref.probs)))
    return f"{100 * same:8.3f}% {differ:7d} {dp:8.4f}"


def cuda_section(hours: float, batch_sizes: list[int], repeats: int) -> None:
    import torch
    from sleepscorer_model.inference import score
    from sleepscorer_model.weights import default_weights_path, load_model

    dev = cuda_device()
    if dev is None:
        print(NO_CUDA)
        return
    print(f"CUDA: {torch.cuda.get_device_name(dev)}, torch {torch.__version__}")
    loaded = load_model(default_weights_path(), dev)
    recording = simulate(hours, seed=0)
    source = front_end(loaded, recording)
    precisions: dict[str, Callable] = {"fp32": contextlib.nullcontext,
                                       "fp16": lambda: torch.autocast("cuda", dtype=torch.float16)}
    if torch.cuda.is_bf16_supported():
        precisions["bf16"] = lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    else:
        print("this GPU has no bf16: bf16 rows left out")
    score_pieces(loaded, source, dev, batch_sizes[0], contextlib.nullcontext,  # warm-up
                 contextlib.nullcontext, "warm-up")
    ref = None
    print(f"{'precision':9s} {'batch':>6s} {'total s':>8s} {'encode s':>9s} {'seq s':>7s} "
          f"{'peak MB':>8s} {'agree':>9s} {'differ':>7s} {'max dp':>8s}")
    for name, ctx in precisions.items():
        for bs in batch_sizes:
            runs = [score_pieces(loaded, source, dev, bs, ctx, ctx, name) for _ in range(repeats)]
            row = min(runs, key=lambda r: r.seconds)
            ref = ref or row
            print(f"{name:9s} {bs:6d} {row.seconds:8.2f} {row.encode_s:9.2f} "
                  f"{row.sequence_s:7.2f} {row.peak_mb:8.0f} {agreement(row, ref)}")
    start = time.perf_counter()
    result = score(recording, loaded, device="cuda")
    print(f"score() as shipped (autocast {'bf16' if 'bf16' in precisions else 'fp16'}, batch "
          f"4096, front end, REM rule and quality gate included): "
          f"{time.perf_counter() - start:.2f} s for {len(result.probabilities)} epochs")
    print(f"agreement with fp32 at batch {ref.batch_size}: share of 1-s labels equal; "
          "max dp: largest probability difference")


def cpu_section(hours: float, threads: int, repeats: int, batch_size: int = 512) -> None:
    import numpy as np
    import torch
    from sleepscorer_model.weights import default_weights_path, load_model

    torch.set_num_threads(threads)
    flags = cpu_flags()
    has = {f: f in flags for f in ("avx512_bf16", "amx_bf16", "avx512f")}
    capability = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "?")()
    print(f"CPU: avx512_bf16 {'yes' if has['avx512_bf16'] else 'no'}, amx_bf16 "
          f"{'yes' if has['amx_bf16'] else 'no'}, avx512f {'yes' if has['avx512f'] else 'no'}; "
          f"torch {torch.__version__} dispatch {capability}, threads {threads}")
    if not has["avx512_bf16"] and not has["amx_bf16"]:
        print("this CPU has no native bf16: bf16 runs emulated (slower); the rows still show "
              "what the labels would do")
    dev = torch.device("cpu")
    loaded = load_model(default_weights_path(), dev)
    recording = simulate(hours, seed=1)
    source = front_end(loaded, recording)
    fp32 = contextlib.nullcontext

    def bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)

    rows = {"fp32": (fp32, fp32), "bf16 encoder": (bf16, fp32), "bf16 encoder+seq": (bf16, bf16)}
    score_pieces(loaded, source, dev, batch_size, fp32, fp32, "warm-up")
    best: dict[str, Row] = {}
    for _ in range(repeats):  # interleaved, so a burst of load hits every row alike
        for name, (enc, seq) in rows.items():
            row = score_pieces(loaded, source, dev, batch_size, enc, seq, name, keep_tokens=True)
            if name not in best or row.seconds < best[name].seconds:
                best[name] = row
    ref = best["fp32"]
    print(f"{'precision':17s} {'total s':>8s} {'encode s':>9s} {'seq s':>7s} {'encode x':>9s} "
          f"{'max dtoken':>11s} {'agree':>9s} {'differ':>7s} {'max dp':>8s}")
    for name, row in best.items():
        dtok = float((row.tokens - ref.tokens).abs().max())
        print(f"{name:17s} {row.seconds:8.2f} {row.encode_s:9.2f} {row.sequence_s:7.2f} "
              f"{ref.encode_s / row.encode_s:9.2f} {dtok:11.3f} {agreement(row, ref)}")
    share = ref.encode_s / ref.seconds if ref.seconds else float("nan")
    print(f"{source.n_epochs} epochs, batch {batch_size}, best of {repeats}; in fp32 the epoch "
          f"encoder is {100 * share:.0f}% of the model time (front end not included); "
          f"labels: {len(np.unique(ref.labels))} classes seen")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--section", choices=("cuda", "cpu", "all"), default="cuda")
    ap.add_argument("--hours", type=float, default=24.0, help="CUDA section recording length")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[512, 1024, 4096, 16384])
    ap.add_argument("--cpu-hours", type=float, default=3.0, help="CPU section recording length")
    ap.add_argument("--threads", type=int, default=2, help="CPU section torch threads")
    ap.add_argument("--repeats", type=int, default=2, help="runs per row; the fastest is shown")
    args = ap.parse_args(argv)
    if args.section in ("cuda", "all"):
        cuda_section(args.hours, args.batch_sizes, args.repeats)
    if args.section in ("cpu", "all"):
        cpu_section(args.cpu_hours, args.threads, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
