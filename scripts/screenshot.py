"""Take docs/screenshot-main.png: the real app on the demo recording after scoring.

Run under a display, e.g.  xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python
scripts/screenshot.py [--out docs/screenshot-main.png] [--path RECORDING] [--stand-in]

Scoring uses the bundled weights; without them the window shows why in its status bar.
`--stand-in` scores with a quick band-power rule instead, only to show a scored layout.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np


def stand_in_score(recording, progress=None, cancel=None, epoch_length=1.0, **_):
    """Delta/theta/EMG rule of thumb (not the model), only for a scored-looking picture."""
    from scipy.signal import welch

    from sleepscorer.core.stages import Stage

    n = recording.n_epochs(epoch_length)
    eeg, emg = recording.eeg, recording.emg
    per = int(eeg.rate * epoch_length)
    x = eeg.data[: n * per].reshape(n, per)
    f, p = welch(x, eeg.rate, nperseg=min(per, 256), axis=1)
    delta = p[:, (f >= 0.5) & (f < 4)].sum(1)
    theta = p[:, (f >= 6) & (f < 9)].sum(1)
    m = np.log(np.var(emg.data[: n * per].reshape(n, per), axis=1)) if emg is not None else 0
    z = lambda v: (v - np.median(v)) / (np.std(v) + 1e-9)  # noqa: E731
    score_w, score_n = z(m), z(np.log(delta))
    score_r = z(np.log(theta / delta)) - z(m)
    logits = np.stack([score_w, score_n, score_r], 1) * 1.5
    logits = np.apply_along_axis(lambda c: np.convolve(c, np.ones(9) / 9, "same"), 0, logits)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    if progress:
        progress(1, 1)
    return SimpleNamespace(probabilities=probs.astype(np.float32),
                           classes=(Stage.WAKE, Stage.NREM, Stage.REM),
                           model_name="band-power stand-in (not the model)", device_used="cpu",
                           warnings=[])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshot-main.png")
    parser.add_argument("--path", default=None)
    parser.add_argument("--stand-in", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    from sleepscorer.gui import backend
    from sleepscorer.gui.app import create_app, demo_path, open_window

    if args.stand_in:
        backend.score = stand_in_score
    app = create_app()
    path = Path(args.path) if args.path else demo_path()
    window = open_window(path)
    window.resize(1580, 960)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if window.session is not None and not window.files.busy():
            break
        time.sleep(0.02)
    else:
        print("timed out waiting for loading and scoring", file=sys.stderr)
    session = window.session
    if session is not None:
        window.window_combo.setCurrentIndex(4)  # 5 min of context
        window._preset_chosen(4)
        session.go_to(min(session.recording.duration_s * 0.55, session.recording.duration_s))
        session.step(0)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.02)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(args.out)
    print(f"saved {args.out}; status: {window.model_info.text()} | "
          f"{window.statusBar().currentMessage()}")
    if session is not None:
        session.mark_saved()  # a picture, not work: leave no journal behind
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
