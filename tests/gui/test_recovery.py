"""Never lose work: the journal after a crash, the question on close, settings."""

from __future__ import annotations

from PySide6.QtCore import Qt

from sleepscorer.gui.main_window import MainWindow
from sleepscorer.gui.settings import Settings
from sleepscorer.hypnogram import Source
from sleepscorer.stages import Stage
from tests.gui.conftest import open_and_score


def test_crash_then_restore_every_edit(qtbot, window, recording_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    session.drag(30.0, 49.9)
    qtbot.keyClick(window, Qt.Key.Key_4)
    session.click(60.5)
    qtbot.keyClick(window, Qt.Key.Key_5)
    expected = session.hypnogram.stages.copy()
    sources = session.hypnogram.sources.copy()
    window.files.may_close = lambda: True  # the app "crashes": nothing saved, no question
    window.close()

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    second.files.open_path(recording_path)
    qtbot.waitUntil(lambda: second.session is not None and not second.files.busy())
    assert ("restore", 3) in isolated.asked  # model scoring + 2 edits
    hyp = second.session.hypnogram
    assert (hyp.stages == expected).all() and (hyp.sources == sources).all()
    assert (hyp.stages[30:50] == Stage.MA).all() and hyp.stages[60] == Stage.ARTIFACT
    assert isolated.score.calls == ["both"]  # restored model labels are not re-scored
    assert second.session.dirty
    second.files.shutdown()


def test_declined_restore_starts_clean(qtbot, window, recording_path, isolated):
    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(0, 10, Stage.REM)
    window.files.may_close = lambda: True
    window.close()
    isolated.restore = False
    second = MainWindow()
    qtbot.addWidget(second)
    second.files.open_path(recording_path)
    qtbot.waitUntil(lambda: second.session is not None and not second.files.busy()
                    and (second.session.hypnogram.sources == Source.MODEL).any())
    assert (second.session.hypnogram.sources != Source.EXPERT).all()
    second.files.shutdown()


def test_close_with_unsaved_work_asks(qtbot, window, recording_path, isolated, tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    session.hypnogram.set_stage(0, 10, Stage.REM)
    isolated.save = "cancel"
    window.close()
    assert window.isVisible() and ("save",) in isolated.asked
    isolated.save = "discard"
    window.close()
    assert not window.isVisible() and not session.journal.path.exists()


def test_settings_persist(qtbot, window, recording_path):
    open_and_score(qtbot, window, recording_path)
    window.settings.epoch_length = 2.0
    window.settings.sync()
    fresh = Settings()
    assert fresh.recent_files[0] == str(recording_path.resolve())
    assert fresh.epoch_length == 2.0 and fresh.last_folder == str(recording_path.parent)
