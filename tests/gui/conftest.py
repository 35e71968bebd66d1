"""GUI test fixtures: offscreen Qt, settings and sessions in tmp, answered dialogs, a small
EDF recording, and the real scoring function watched by a spy.

Every GUI test that scores runs `model.inference.score` with the arguments the app passes,
so a change of its signature fails here. By default the spy then replaces the model's
probabilities by a fixed pattern, because tests of navigation must not depend on what the
bundled weights say about a synthetic recording; tests of the real result set
`isolated.score.pattern = False`."""

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


class ScoreSpy:
    """Calls the real `backend.score` (the bundled model on CPU) with exactly what the app
    passes, and records it. `delay` adds that many seconds of cancellable CPU work first
    (to test progress and cancel); `pattern` (on unless a test turns it off) swaps the
    model's probabilities for `stand_in_probabilities` afterwards, so tests of navigation
    do not depend on the bundled weights; `warnings` are added to the result's own."""

    def __init__(self, real):
        self.real = real
        self.delay = 0.0
        self.pattern = True
        self.calls = []
        self.weights = []
        self.rem_rules = []
        self.lab_gates = []
        self.emg_rules = []
        self.warnings = []
        self.results = []

    def __call__(self, recording, **kwargs):
        self.calls.append(kwargs.get("modality", "both"))
        self.rem_rules.append(kwargs.get("rem_rule", "default"))
        self.lab_gates.append(kwargs.get("lab_gate", True))
        self.emg_rules.append(kwargs.get("emg_rules", True))
        self.weights.append(kwargs.get("weights"))
        cancel, progress = kwargs.get("cancel"), kwargs.get("progress")
        for i in range(10 if self.delay else 0):
            end = time.perf_counter() + self.delay / 10
            while time.perf_counter() < end:  # CPU work, like a slow model
                np.fft.rfft(np.ones(4096))
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(i + 1, 10)
        weights = kwargs.get("weights")
        if weights and Path(weights).exists() and Path(weights).stat().st_size < 1024:
            kwargs["weights"] = None  # test_models' placeholder files: the bundled model scores
        kwargs["device"] = "cpu"
        result = self.real(recording=recording, **kwargs)
        if self.pattern:
            result.probabilities = stand_in_probabilities(len(result.probabilities))
            result.classes = (Stage.WAKE, Stage.NREM, Stage.REM)
        result.warnings = [*result.warnings, *self.warnings]
        self.results.append(result)
        return result


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Settings and sessions in tmp; the real model watched; every dialog answered."""
    from sleepscorer.core import journal, session_store
    from sleepscorer.gui import backend, dialogs

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))
    monkeypatch.setattr(journal, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    monkeypatch.setattr(session_store, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    score = ScoreSpy(backend.score)
    monkeypatch.setattr(backend, "score", score)
    monkeypatch.setattr(backend, "device_name", lambda requested="auto": "CPU")
    models = SimpleNamespace(entries=[])  # no torch in GUI tests: tests add fake entries
    monkeypatch.setattr(backend, "list_models", lambda: list(models.entries))
    monkeypatch.setattr(backend, "corrections_dir", lambda: tmp_path / "corrections")
    answers = SimpleNamespace(restore=True, save="discard", rescore=(True, False), errors=[],
                              asked=[], score=score, models=models, revert=True,
                              drop_kind="labels", keep_mine="keep")

    def ask_restore(parent, n, when):
        answers.asked.append(("restore", n))
        return answers.restore

    def ask_save(parent, name=None, exported=True):
        answers.asked.append(("save",))
        answers.save_asked = (name, exported)  # which recording, ever exported
        return answers.save

    def ask_rescore(parent, n):
        answers.asked.append(("rescore", n))
        return answers.rescore

    monkeypatch.setattr(dialogs, "ask_restore", ask_restore)
    monkeypatch.setattr(dialogs, "ask_save", ask_save)
    def ask_revert(parent, n):
        answers.asked.append(("revert", n))
        return answers.revert

    def ask_drop_kind(parent, name):
        answers.asked.append(("drop", name))
        return answers.drop_kind

    monkeypatch.setattr(dialogs, "ask_rescore", ask_rescore)
    monkeypatch.setattr(dialogs, "ask_revert", ask_revert)
    monkeypatch.setattr(dialogs, "ask_drop_kind", ask_drop_kind)

    def ask_keep_mine(parent, n, name):
        answers.asked.append(("keep mine", n))
        return answers.keep_mine

    monkeypatch.setattr(dialogs, "ask_keep_mine", ask_keep_mine)
    monkeypatch.setattr(dialogs, "ask_rate", lambda parent, name, last: None)  # never a modal
    monkeypatch.setattr(dialogs, "show_info", lambda parent, title, text:
                        answers.asked.append(("info", text)))
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


def wait_scored(qtbot, win, timeout=60000):
    qtbot.waitUntil(lambda: win.session is not None and not win.files.busy()
                    and (win.session.hypnogram.stages != Stage.UNSCORED).any(), timeout=timeout)


def open_and_score(qtbot, win, path):
    win.files.open_path(path)
    wait_scored(qtbot, win)
    return win.session
