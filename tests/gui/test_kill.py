"""kill -9 the app in the middle of an expert's session: reopening loses nothing.

The child is the real window (offscreen) scoring with the real model; it labels through the
same session commands the keys call, reports, and is killed with SIGKILL before any
snapshot is due, so only what was written at each edit can bring the work back."""

from __future__ import annotations

import signal
import textwrap

import numpy as np

from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.gui.test_recovery import reopen
from tests.kill_child import kill_when_ready

CHILD = textwrap.dedent("""
    import os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings
    from sleepscorer.core import journal, session_store
    data = sys.argv[2]
    journal.user_data_dir = session_store.user_data_dir = lambda *a, **k: data
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[3])
    from sleepscorer.gui.app import create_app
    from sleepscorer.gui.main_window import MainWindow
    from sleepscorer.stages import Stage
    app = create_app()
    win = MainWindow()
    win.files.open_path(sys.argv[1])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        app.processEvents()
        s = win.session
        if s is not None and not win.files.busy() and (s.hypnogram.sources == 1).any():
            break
        time.sleep(0.01)
    s = win.session
    s._snapshot.setInterval(10 ** 8)  # no snapshot: only the per-edit journal can save us
    s.drag(20.0, 39.9); s.label(Stage.REM)
    s.click(50.5); s.label(Stage.MA)
    s.select(80, 90); s.confirm()
    s.drag(100.0, 104.9); s.label(Stage.ARTIFACT)
    s.undo()
    print("ready", flush=True)
    while True:
        app.processEvents(); time.sleep(0.01)
""")


def test_kill_9_mid_session_then_reopen(qtbot, recording_path, tmp_path, isolated):
    isolated.score.pattern = False
    returncode = kill_when_ready(CHILD, recording_path, tmp_path / "data",
                                 tmp_path / "child-settings")
    assert returncode == -signal.SIGKILL
    win = reopen(qtbot, recording_path)
    hyp = win.session.hypnogram
    assert (hyp.stages[20:40] == Stage.REM).all() and (hyp.sources[20:40] == Source.EXPERT).all()
    assert hyp.stages[50] == Stage.MA
    assert (hyp.sources[80:90] == Source.EXPERT).all()  # confirmed
    assert (hyp.sources[100:105] == Source.MODEL).all()  # the undone edit stays undone
    assert (hyp.sources == Source.MODEL).sum() == len(hyp) - 31
    assert not np.isnan(hyp.confidence[0]) and isolated.score.calls == []  # not re-scored
    win.files.shutdown()
