"""Help: the shortcut list is the window's own actions, so it names every key the menus
bind; About gives the version to cite and says the bundled model learnt from simulation."""

from __future__ import annotations

import json
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from sleepscorer import __version__


def _command(window, text):
    return next(a for a in window.actions() if a.text().replace("&", "") == text)


def test_f1_lists_every_menu_shortcut(qtbot, window, isolated):
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: getattr(window, "help_box", None) is not None)
    text = window.help_box.text()
    for command in ("Label selection Wake", "Undo", "Go to time...", "Next low-confidence run",
                    "Export labels as CSV...", "Keyboard shortcuts"):
        action = _command(window, command)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert command in text and keys in text, command
    assert "About SleepScorer" not in text  # no keys, so no line
    assert "double-click" in text  # the mouse, too


def test_about_names_version_and_simulated_training(qtbot, window, isolated):
    from sleepscorer.gui import backend

    path = backend.default_weights_path()
    card = json.loads(path.with_suffix(".json").read_text())  # the card that ships
    isolated.models.entries[:] = [SimpleNamespace(path=path, card=card, bundled=True,
                                                  name=card["name"])]
    window.models.refresh()
    qtbot.waitUntil(lambda: any(e.bundled for e in window.model_panel.entries))
    _command(window, "About SleepScorer").trigger()
    text = window.help_box.text()
    assert f"SleepScorer {__version__}" in text
    assert "SIMULATED" in text and "scores on CPU" in text
