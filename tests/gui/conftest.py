"""GUI test fixtures: offscreen Qt, settings and journals in tmp, answered dialogs, a small
EDF recording and a fast stand-in for the model."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from sleepscorer.errors import Cancelled  # noqa: E402
from sleepscorer.stages import Stage  # noqa: E402

RATE = 128.0
MINUTES = 5


def write_edf(path: Path, labels=("EEG1", "EMG1"), minutes: float = MINUTES) -> Path:
    import edfio

    n = int(RATE * 60 * minutes)
    rng = np.random.default_rng(0)
    t = np.arange(n) / RATE
    signals = []
    for i, label in enumerate(labels):
        data = 50 * np.sin(2 * np.pi * (2 + 4 * i) * t) + 10 * rng.normal(size=n)
        signals.append(edfio.EdfSignal(data, RATE, label=label, physical_dimension="uV",
                                       physical_range=(-500, 500)))
    edfio.Edf(signals).write(path)
    return path


def stand_in_probabilities(n: int) -> np.ndarray:
    """Bouts of 20 epochs cycling Wake, NREM, REM; every 7th epoch is uncertain."""
    probs = np.full((n, 3), 0.05, np.float32)
    winner = (np.arange(n) // 20) % 3
    probs[np.arange(n), winner] = 0.9
    uncertain = np.arange(n) % 7 == 3
    probs[uncertain] = 0.2
    probs[uncertain, winner[uncertain]] = 0.45
    return probs / probs.sum(axis=1, keepdims=True)


class StandInScore:
    """A fast model: `delay` seconds of work split into 10 progress steps."""

    def __init__(self):
        self.delay = 0.05
        self.calls = []
        self.weights = []
        self.rem_rules = []
        self.lab_gates = []
        self.warnings = []

    def __call__(self, recording, weights=None, modality="both", device="auto",
                 progress=None, cancel=None, epoch_length=1.0, rem_rule="default",
                 lab_gate=True):
        self.calls.append(modality)
        self.rem_rules.append(rem_rule)
        self.lab_gates.append(lab_gate)
        self.weights.append(weights)
        n = recording.n_epochs(epoch_length)
        for i in range(10):
            end = time.perf_counter() + self.delay / 10
            while time.perf_counter() < end:  # CPU work, like a model
                np.fft.rfft(np.ones(4096))
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(i + 1, 10)
        return SimpleNamespace(probabilities=stand_in_probabilities(n),
                               classes=(Stage.WAKE, Stage.NREM, Stage.REM),
                               model_name="stand-in", device_used="cpu",
                               warnings=list(self.warnings))


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Settings and journals in tmp; the model replaced; every dialog answered."""
    from sleepscorer.core import journal
    from sleepscorer.gui import backend, dialogs

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))
    monkeypatch.setattr(journal, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    score = StandInScore()
    monkeypatch.setattr(backend, "score", score)
    monkeypatch.setattr(backend, "device_name", lambda requested="auto": "CPU")
    models = SimpleNamespace(entries=[])  # no torch in GUI tests: tests add fake entries
    monkeypatch.setattr(backend, "list_models", lambda: list(models.entries))
    monkeypatch.setattr(backend, "corrections_dir", lambda: tmp_path / "corrections")
    answers = SimpleNamespace(restore=True, save="discard", rescore=(True, False), errors=[],
                              asked=[], score=score, models=models)

    def ask_restore(parent, n, when):
        answers.asked.append(("restore", n))
        return answers.restore

    def ask_save(parent):
        answers.asked.append(("save",))
        return answers.save

    def ask_rescore(parent, n):
        answers.asked.append(("rescore", n))
        return answers.rescore

    monkeypatch.setattr(dialogs, "ask_restore", ask_restore)
    monkeypatch.setattr(dialogs, "ask_save", ask_save)
    monkeypatch.setattr(dialogs, "ask_rescore", ask_rescore)
    return answers


@pytest.fixture
def recording_path(tmp_path) -> Path:
    return write_edf(tmp_path / "mouse1.edf")


@pytest.fixture
def window(qtbot):
    from sleepscorer.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    win.files.shutdown()


def wait_scored(qtbot, win, timeout=10000):
    qtbot.waitUntil(lambda: win.session is not None and not win.files.busy()
                    and (win.session.hypnogram.stages != Stage.UNSCORED).any(), timeout=timeout)


def open_and_score(qtbot, win, path):
    win.files.open_path(path)
    wait_scored(qtbot, win)
    return win.session
