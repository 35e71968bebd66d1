"""Take the docs screenshots: the real app on the demo recording after scoring.

Run under a display, e.g.  xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python
scripts/screenshot.py [--out docs/screenshot-main.png] [--path RECORDING] [--stand-in]
  --model FILE             score with this model file (the app's model choice)
  --simulate-hours 24 --window 1800 --out docs/screenshot-24h.png   a simulated day
  --finetune [--run-finetune] --out docs/screenshot-finetune.png    the fine-tune dialog
  --simulate-hours 1.5 --simulate-lab lab_b --compare-truth --out docs/screenshot-compare.png
      the model's labels compared with the simulator's (the second band, the marks)
  --simulate-hours 1.5 --simulate-lab lab_c_shifted --finetune --run-finetune   the dialog
      after fine-tuning on a simulated lab the model never saw, its first 40 % labelled
      by a stand-in expert (the simulator's truth)
Settings and journals go to a temporary folder: taking pictures changes nothing.

Scoring uses the bundled weights; without them the window shows why in its status bar.
`--stand-in` scores with a quick band-power rule instead, only to show a scored layout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np


def stand_in_score(recording, progress=None, cancel=None, epoch_length=1.0, **_):
    """Delta/theta/EMG rule of thumb (not the model), only for a scored-looking picture."""
    from scipy.signal import welch

    from sleepscorer.stages import Stage

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


def wait(app, window, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        busy = window.files.busy() or window.models.tasks
        if window.session is not None and not busy:
            return
        time.sleep(0.02)
    print("timed out waiting for loading and scoring", file=sys.stderr)


def settle(app, rounds: int = 30) -> None:
    for _ in range(rounds):
        app.processEvents()
        time.sleep(0.02)


def open_simulated(window, hours: float, lab: str = "lab_a"):  # noqa: ANN201
    """A simulated recording (not a file): shown like an opened one, then scored. Returns
    the simulator's true hypnogram."""
    from sleepscorer_model.simulation import simulate_recording

    from sleepscorer.gui.session import ScoringSession
    from sleepscorer.gui.workers import prepare_loaded
    from sleepscorer.hypnogram import Hypnogram

    rec, truth = simulate_recording(hours * 3600.0, rate=512, seed=1, lab=lab)
    hyp = Hypnogram(rec.n_epochs(1.0), 1.0)
    window.set_session(ScoringSession(rec, hyp, None, window.settings.low_confidence),
                       prepare_loaded(rec, 1.0))
    window.files.path = Path(f"simulated-{lab}.edf")  # a name for its notes; never read
    window.files.start_scoring(overwrite=False)
    return truth


def compare_with_truth(window, truth) -> None:  # noqa: ANN001
    """The simulator's labels as a second scorer's file, compared; the view on the first
    disagreement after the current position."""
    import tempfile

    from sleepscorer.gui import backend

    path = Path(tempfile.mkdtemp()) / "simulated_truth.csv"
    backend.write_labels_csv(hypnogram=truth, path=path)
    window.files.labels.compare_with(path)
    window.next_disagreement()


def finetune_picture(app, window, out: str, run: bool, timeout: float, truth=None) -> None:  # noqa: ANN001
    """Confirm most model labels (as a person checking them would), or with `truth` set the
    first 40 % to it as a person's labels; export them as corrections and show the fine-tune
    dialog; with `run`, after fine-tuning."""
    from sleepscorer.gui import backend
    from sleepscorer.gui.finetune_dialog import FinetuneDialog
    from sleepscorer.hypnogram import Source

    session = window.session
    hyp = session.hypnogram
    if truth is None:
        hyp.confirm(0, int(len(hyp) * 0.6))
    else:
        n = int(len(hyp) * 0.4)
        hyp.replace(0, truth.stages[:n], np.full(n, Source.EXPERT, np.int8),
                    np.full(n, np.nan, np.float32), "stand-in expert")
    entry = window.model_panel.entry
    folder = Path(tempfile.mkdtemp(prefix="corrections-")) / "demo"
    backend.export_corrections(recording=session.recording, hypnogram=hyp, out_dir=folder,
                               card=entry.card)
    dialog = FinetuneDialog([folder], base=Path(entry.path), parent=window,
                            out_dir=Path(tempfile.mkdtemp(prefix="models-")))
    dialog.resize(620, 420)
    dialog.show()
    if run:
        dialog.start()
        deadline = time.monotonic() + timeout
        while (dialog.is_running() or dialog.task is None) and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.05)
    settle(app)
    dialog.grab().save(out)
    dialog.reject()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshot-main.png")
    parser.add_argument("--path", default=None)
    parser.add_argument("--stand-in", action="store_true")
    parser.add_argument("--model", default=None, help="score with this model file (made the "
                        "active model, as chosen in the app)")
    parser.add_argument("--simulate-hours", type=float, default=0.0,
                        help="show a simulated recording of this many hours instead")
    parser.add_argument("--simulate-lab", default="lab_a", help="lab family to simulate")
    parser.add_argument("--window", type=float, default=300.0, help="seconds on screen")
    parser.add_argument("--at", type=float, default=0.55, help="where, as a fraction")
    parser.add_argument("--finetune", action="store_true",
                        help="picture the fine-tune dialog instead of the window")
    parser.add_argument("--run-finetune", action="store_true",
                        help="with --finetune: fine-tune first, picture the result")
    parser.add_argument("--compare-truth", action="store_true",
                        help="with --simulate-hours: compare with the simulator's labels "
                             "(File > Compare with labels) and show the first disagreement")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings

    from sleepscorer.core import journal, session_store
    from sleepscorer.gui import backend, dialogs
    from sleepscorer.gui.app import create_app, demo_path, open_window

    tmp = tempfile.mkdtemp(prefix="screenshot-")
    journal.user_data_dir = lambda *a, **k: tmp  # a picture, not work: no journals
    session_store.user_data_dir = lambda *a, **k: tmp  # nor saved sessions
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
    dialogs.ask_restore = lambda *a: False
    dialogs.show_error = lambda parent, title, text: print(f"{title}: {text}", file=sys.stderr)
    if args.stand_in:
        backend.score = stand_in_score
    from PySide6.QtWidgets import QDialog

    from sleepscorer.gui.channel_dialog import ChannelDialog

    # Unnamed channels: take the dialog's own guess of the roles, as a person pressing OK
    # would; a picture taken unattended must not wait on a modal dialog.
    ChannelDialog.exec = lambda self: QDialog.DialogCode.Accepted
    app = create_app()
    if args.model:
        from sleepscorer.gui.settings import Settings

        Settings().active_model = Path(args.model).resolve()
    truth = None
    path = None if args.simulate_hours else Path(args.path) if args.path else demo_path()
    window = open_window(path)
    window.resize(1580, 960)
    if args.simulate_hours:
        while window.models.tasks:  # the model list first: scoring uses the active model
            app.processEvents()
        truth = open_simulated(window, args.simulate_hours, args.simulate_lab)
    wait(app, window, args.timeout)
    session = window.session
    if session is not None and args.finetune:
        finetune_picture(app, window, args.out, args.run_finetune, args.timeout,
                         truth if args.simulate_lab != "lab_a" else None)
    elif session is not None:
        index = window._preset_index(args.window)
        window.window_combo.setCurrentIndex(index)
        window._preset_chosen(index)
        session.go_to(session.recording.duration_s * args.at)
        session.step(0)
        if args.compare_truth and truth is not None:
            compare_with_truth(window, truth)
        settle(app)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(args.out)
    print(f"saved {args.out}; status: {window.model_info.text()} | "
          f"{window.statusBar().currentMessage()}")
    if session is not None:
        print(f"N stops through the recording: {session.low_confidence_runs()} runs of "
              "low-confidence epochs")
    if session is not None:
        session.mark_saved()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
