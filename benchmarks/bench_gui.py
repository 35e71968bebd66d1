"""How smooth is the scoring window on a 24 h, 512 Hz, 2-channel recording?

Measures, on synthetic noise with a realistic hypnogram (86,400 one-second epochs):
  - time to first draw: display pyramids + spectrogram (worker side), then building the
    views and the first paint (GUI side);
  - redraw time while panning and zooming (set the x range, then a synchronous repaint);
  - latency of one label edit (recolour strips, overview, journal line);
  - the longest event-loop stall while a CPU-heavy scoring worker runs (5 ms QTimer);
  - how many stops `N` makes through the whole recording (runs of low-confidence epochs;
    it used to stop at every such epoch), and how many points the confidence track draws.
Targets: first draw < 3 s, redraw median < 30 ms, stall < 100 ms.

Usage: QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py [--hours 24] [--rate 512]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def synthetic_recording(hours: float, rate: float):
    from sleepscorer.io.recording import Channel, ChannelKind, Recording

    n = int(hours * 3600 * rate)
    rng = np.random.default_rng(0)
    eeg = rng.standard_normal(n, dtype=np.float32) * 40
    emg = rng.standard_normal(n, dtype=np.float32) * 15
    return Recording([Channel("EEG1", ChannelKind.EEG, eeg, rate, "uV"),
                      Channel("EMG1", ChannelKind.EMG, emg, rate, "uV")],
                     Path(tempfile.gettempdir()) / "bench-24h.edf")


def bouts_hypnogram(n: int):
    from sleepscorer.hypnogram import Hypnogram

    rng = np.random.default_rng(1)
    lengths = rng.integers(5, 300, size=n // 5)
    stages = np.repeat(rng.integers(0, 3, size=len(lengths)), lengths)[:n]
    probs = np.full((n, 3), 0.1, np.float32)
    probs[np.arange(n), stages] = rng.uniform(0.4, 0.99, n)
    hyp = Hypnogram(n, 1.0)
    return hyp, probs


def heavy_score(recording, progress=None, cancel=None, epoch_length=1.0, **_):
    """CPU-bound stand-in for the model: FFTs of every epoch, a little Python per chunk."""
    from sleepscorer.stages import Stage

    n = recording.n_epochs(epoch_length)
    per = int(recording.rate * epoch_length)
    data = recording.eeg.data
    chunk = 2048
    for a in list(range(0, n, chunk)) * 4:  # four passes: a few seconds of work
        b = min(n, a + chunk)
        block = data[a * per: b * per].reshape(b - a, per)
        np.abs(np.fft.rfft(block, axis=1)) ** 2
        sum(i * i for i in range(20000))  # hold the GIL a while, as Python code does
        if cancel is not None and cancel():
            raise RuntimeError("cancelled")
        if progress is not None:
            progress(b, n)
    probs = np.full((n, 3), 1 / 3, np.float32)
    return SimpleNamespace(probabilities=probs, classes=(Stage.WAKE, Stage.NREM, Stage.REM),
                           model_name="heavy stand-in", device_used="cpu", warnings=[])


def percentile(values, q):
    return float(np.percentile(np.asarray(values) * 1000, q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--rate", type=float, default=512.0)
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, QThreadPool, QTimer

    from sleepscorer.core import journal, session_store
    from sleepscorer.gui import backend
    from sleepscorer.gui.app import create_app
    from sleepscorer.gui.main_window import MainWindow
    from sleepscorer.gui.session import ScoringSession
    from sleepscorer.gui.settings import Settings
    from sleepscorer.gui.workers import Task, prepare_loaded, prewarm_model, run_scoring

    tmp = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    journal.user_data_dir = lambda *a, **k: str(tmp)  # keep the benchmark's journal apart
    session_store.user_data_dir = lambda *a, **k: str(tmp)
    from PySide6.QtCore import QSettings

    app = create_app()
    window = MainWindow(Settings(QSettings(str(tmp / "settings.ini"),
                                           QSettings.Format.IniFormat)))
    window.resize(1600, 1000)
    window.show()
    app.processEvents()

    t = time.perf_counter()
    rec = synthetic_recording(args.hours, args.rate)
    print(f"synthetic recording: {args.hours:g} h x {args.rate:g} Hz x 2 channels "
          f"({rec.n_samples * 2 * 4 / 1e6:.0f} MB), made in {time.perf_counter() - t:.1f} s")

    t0 = time.perf_counter()
    loaded = prepare_loaded(rec, 1.0)
    t_prepare = time.perf_counter() - t0
    hyp, probs = bouts_hypnogram(rec.n_epochs(1.0))
    hyp.apply_model(probs, (0, 1, 2))
    t1 = time.perf_counter()
    session = ScoringSession(rec, hyp, journal.Journal(rec.source.parent, len(hyp), 1.0))
    window.set_session(session, loaded)
    window.trace_view.viewport().repaint()
    window.overview.viewport().repaint()
    app.processEvents()
    t_show = time.perf_counter() - t1
    first = t_prepare + t_show

    tv = window.trace_view
    duration = rec.duration_s
    rng = np.random.default_rng(2)
    spans = [4, 10, 30, 60, 300, 1800, 3600, 6 * 3600, duration]
    redraws = []
    for i in range(args.steps):
        span = spans[i % len(spans)]
        if i % 2:  # pan by half a window
            t_a, t_b = tv.x_range()
            start = min(max(0.0, t_a + (t_b - t_a) * 0.5), max(0.0, duration - (t_b - t_a)))
            span = t_b - t_a
        else:  # zoom to a new span somewhere
            start = float(rng.uniform(0, max(0.0, duration - span)))
        t = time.perf_counter()
        tv.set_x_range(start, start + span)
        tv.viewport().repaint()
        redraws.append(time.perf_counter() - t)
    app.processEvents()

    edits = []
    for i in range(30):
        a = int(rng.integers(0, len(hyp) - 50))
        t = time.perf_counter()
        session.select(a, a + 20)
        session.label(1 + i % 2)
        tv.viewport().repaint()
        edits.append(time.perf_counter() - t)

    backend.score = heavy_score

    def run_and_watch(task):
        """Run `task` while a 5 ms timer ticks and a user pans; longest gap in ms."""
        gaps, clock, last, done = [], QElapsedTimer(), [0], []

        def tick():
            now = clock.elapsed()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer(interval=5)
        timer.timeout.connect(tick)
        task.finished.connect(lambda: done.append(True))
        clock.start()
        timer.start()
        task.start()
        t, pan = time.perf_counter(), 0
        while not done:
            app.processEvents()
            if pan % 20 == 0:  # a user panning meanwhile
                t_a, t_b = tv.x_range()
                tv.set_x_range(t_a + 5, t_b + 5)
            pan += 1
            time.sleep(0.001)
        timer.stop()
        QThreadPool.globalInstance().waitForDone()
        return (max(gaps[1:]) if len(gaps) > 1 else float("nan")), time.perf_counter() - t

    warm_stall, warm_s = run_and_watch(Task("import model", prewarm_model))
    stall, score_s = run_and_watch(Task("bench scoring", run_scoring, recording=rec,
                                        epoch_length=1.0, modality="both"))

    def line(name, value, target, unit):
        ok = "ok" if value < target else "MISSED"
        print(f"  {name:40s} {value:9.1f} {unit:3s} (target < {target:g} {unit})  {ok}")

    from sleepscorer.core.session_store import PersistentSession

    store = PersistentSession(tmp / "sessions" / "bench", rec.source, "bench")
    store.attach(hyp)
    saves = []
    for _ in range(10):
        t = time.perf_counter()
        store.save()  # the whole 24 h state, atomically (temp file, fsync, rename)
        saves.append(time.perf_counter() - t)
    store.detach()
    low = (hyp.sources == 1) & (hyp.confidence < session.low_confidence)
    n_low = int(low.sum())
    n_runs = session.low_confidence_runs()
    tv.set_x_range(0, duration)
    conf_x, _ = tv.confidence.curve.getData()
    conf_points = 0 if conf_x is None else len(conf_x)

    print("results:")
    print(f"  {'prepare (worker: pyramids + spectrogram)':40s} {t_prepare * 1000:9.0f} ms")
    print(f"  {'build views + first paint (GUI thread)':40s} {t_show * 1000:9.0f} ms")
    line("time to first draw", first, 3.0, "s")
    line("redraw while pan/zoom, median", percentile(redraws, 50), 30, "ms")
    print(f"  {'redraw while pan/zoom, 95th percentile':40s} {percentile(redraws, 95):9.1f} ms"
          f"   (max {percentile(redraws, 100):.1f} ms, n={len(redraws)})")
    print(f"  {'label edit (recolour + journal), median':40s} {percentile(edits, 50):9.1f} ms"
          f"   (95th {percentile(edits, 95):.1f} ms)")
    line(f"event-loop stall during {score_s:.1f} s scoring", stall, 100, "ms")
    print(f"  {'stall while torch is first imported':40s} {warm_stall:9.1f} ms   (once, "
          f"{warm_s:.1f} s, at app start: the app imports the model in the background then)")
    print(f"  {'session snapshot (whole 24 h), median':40s} {percentile(saves, 50):9.1f} ms"
          f"   (debounced: once edits pause; every edit is journalled at once)")
    print(f"  {'N stops through the recording':40s} {n_runs:9d}      (runs; {n_low} low-"
          f"confidence epochs, one stop each before)")
    print(f"  {'confidence track points, whole view':40s} {conf_points:9d}      "
          f"({len(hyp)} epochs, {int(tv.hypno.vb.width())} px)")
    session.mark_saved()
    window.files.may_close = lambda: True
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
