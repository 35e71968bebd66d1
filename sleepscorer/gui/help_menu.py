"""Help: every keyboard shortcut, read from the window's own actions, and About (the
version to cite, the bundled model and what it learnt from, the machine it runs on).

Why read the actions: a list typed by hand goes stale the day a key changes; this one
cannot, and it is the same list the menus show.
"""

from __future__ import annotations

import html
import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QMessageBox

from sleepscorer import __version__
from sleepscorer.gui import backend


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, command, keys) for every menu command that has keys, in menu order."""
    rows = []

    def walk(menu: QMenu, where: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), where)
            elif action.shortcuts() and action.isVisible():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                                 for k in action.shortcuts())
                rows.append((where, action.text().replace("&", ""), keys))

    for top in menu_bar.actions():
        if top.menu() is not None:
            walk(top.menu(), top.text().replace("&", ""))
    return rows


def shortcuts_html(menu_bar: QMenuBar) -> str:
    body = []
    last = None
    for where, command, keys in shortcut_rows(menu_bar):
        if where != last:
            body.append(f"<tr><td colspan=2><br><b>{html.escape(where)}</b></td></tr>")
            last = where
        body.append(f"<tr><td>{html.escape(command)}</td>"
                    f"<td>&nbsp;&nbsp;<b>{html.escape(keys)}</b></td></tr>")
    mouse = ("<br><br><b>Mouse</b><br>click an epoch to select it; drag on the traces to pan, "
             "Shift+drag to select a range; drag on the hypnogram strip to select a range, "
             "double-click it to select the whole bout; wheel to zoom time, Ctrl+wheel over a "
             "trace for its amplitude scale (right-click for more); click the overview to jump.")
    return f"<table>{''.join(body)}</table>{mouse}"


def about_html(model_card: dict | None, device: str) -> str:
    """The version, the bundled model and the statement of what it learnt from."""
    import numpy
    import torch

    if model_card:
        data = model_card.get("training_data") or {}
        model = (f"<b>{html.escape(str(model_card.get('name', '?')))}</b><br>Its card says: "
                 f"{html.escape(str(data.get('statement', '')))}")
    else:
        model = "no bundled model was found"
    return (f"<h3>SleepScorer {__version__}</h3>"
            "Sleep scoring of rodent EEG/EMG: sDREAMER (Chen et al., 2023) scores every 1-s "
            "epoch, and you correct it.<br><br>"
            f"<b>To cite</b><br>SleepScorer {__version__}, with sDREAMER (Chen et al., 2023, "
            "self-distilled mixture-of-modality-experts transformer); name the model file and "
            "its card's name as scored.<br><br>"
            f"<b>Bundled model</b><br>{model}<br><br>"
            f"<b>This machine</b><br>scores on {html.escape(device)}; Python "
            f"{platform.python_version()}, PyTorch {torch.__version__}, PySide6 "
            f"{pyside_version}, NumPy {numpy.__version__}")


def _open(window, title: str, text: str) -> None:
    """A non-modal box, kept on the window (`help_box`) so it stays open and tests can read it."""
    box = QMessageBox(QMessageBox.Icon.NoIcon, title, text, QMessageBox.StandardButton.Close,
                      window)
    box.setModal(False)
    box.open()
    window.help_box = box


def open_shortcuts(window) -> None:
    _open(window, "Keyboard shortcuts", shortcuts_html(window.menuBar()))


def open_about(window) -> None:
    bundled = next((e.card for e in window.model_panel.entries if e.bundled), None)
    _open(window, "About SleepScorer", about_html(bundled, backend.device_name()))
