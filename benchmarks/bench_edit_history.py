"""What keeping the undo history costs on a 24 h recording (86,400 one-second epochs).

Measures, in the app's session store (no Qt), with the real files and fsyncs:
  - one person edit (20 epochs): the whole edit (labels, journal line, history step), and
    the history step's share (encode the edit, hash the labels, append, fsync);
  - undo and redo with both;
  - a whole-recording edit (re-scoring with a person's labels overwritten);
  - compacting 200 steps when the session is saved, and reopening them (replay + checks).

Usage: python benchmarks/bench_edit_history.py [--epochs 86400] [--edits 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from sleepscorer.core.session_store import SessionStore
from sleepscorer.stages import Stage

CLASSES = (Stage.WAKE, Stage.NREM, Stage.REM)


def ms(times: list[float], q: float = 50) -> float:
    return float(np.percentile(times, q)) * 1000


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=86400)
    parser.add_argument("--edits", type=int, default=200)
    args = parser.parse_args()
    n, rng = args.epochs, np.random.default_rng(0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    recording = tmp / "rec.edf"
    recording.write_bytes(rng.bytes(4_000_000))
    store = SessionStore(tmp / "sessions")
    hyp, found = store.open(recording, lambda el: n, 1.0)
    probabilities = rng.dirichlet(np.ones(3), n).astype(np.float32)
    hyp.apply_model(probabilities, CLASSES)
    found.session.save()

    def edit(i: int) -> None:
        a = int(rng.integers(0, n - 20))
        hyp.set_stage(a, a + 20, Stage(1 + i % 3))

    session = found.session
    steps: list[float] = []  # the history's own share of each step
    step = session.history._step

    def timed_step(*args) -> None:
        steps.append(timed(lambda: step(*args)))

    session.history.detach()
    session.history._step = timed_step
    session.history.attach(hyp)
    session.history.rewrite()
    edits = [timed(lambda i=i: edit(i)) for i in range(args.edits)]
    edit_steps, steps[:] = steps[:], []
    undo = [timed(hyp.undo) for _ in range(50)]
    redo = [timed(hyp.redo) for _ in range(50)]
    steps.clear()
    whole = timed(lambda: hyp.apply_model(probabilities[::-1].copy(), CLASSES,
                                          overwrite_person=True))
    whole_step = steps[-1]
    save = timed(session.save)
    size = session.history.path.stat().st_size
    session.detach()
    reopen = timed(lambda: SessionStore(tmp / "sessions").open(recording, lambda el: n, 1.0))

    print(f"{n} epochs, {args.edits} edits of 20 epochs, files in {tmp}")
    print(f"  edit (journal + history)     median {ms(edits):7.2f} ms  95th {ms(edits, 95):7.2f} ms")
    print(f"    of which the history step  median {ms(edit_steps):7.2f} ms  "
          f"95th {ms(edit_steps, 95):7.2f} ms")
    print(f"  undo / redo                  median {ms(undo):7.2f} / {ms(redo):.2f} ms")
    print(f"  whole-recording edit         {whole * 1000:7.1f} ms  "
          f"(history step {whole_step * 1000:.1f} ms)")
    print(f"  save (snapshot + compact)    {save * 1000:7.1f} ms  history {size / 1e6:.2f} MB")
    print(f"  reopen (snapshot + history)  {reopen * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
