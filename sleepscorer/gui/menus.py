"""The menu bar: every command of the main window with its keys, read as one list.

Kept apart from main_window.py so the window holds the wiring and the slots, and the
commands (and which of them need an open recording) can be read and changed in one place.
`window` is the MainWindow; this module only calls its slots and helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from sleepscorer.gui import help_menu
from sleepscorer.stages import STAGE_KEYS, Stage


def add_action(window, menu: QMenu | None, text: str, slot: Callable[[], object],
               keys: Sequence[str] = (), needs_session: bool = True) -> QAction:
    """A window-wide command; with `needs_session` it does nothing until a recording is open."""
    action = QAction(text, window)
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if needs_session:
        action.triggered.connect(lambda *_: window.session is not None and slot())
    else:
        action.triggered.connect(lambda *_: slot())
    window.addAction(action)
    if menu is not None:
        menu.addAction(action)
    return action


def build_menus(window) -> tuple[QMenu, dict[Stage, QAction]]:
    """File, Edit, Navigate, Scoring, Model, View and Help; returns the (empty) Open Recent menu
    and the action of each stage key (hidden for stages not in use)."""
    w, f, s = window, window.files, lambda: window.session
    file_menu = w.menuBar().addMenu("&File")
    add_action(w, file_menu, "&Open...", f.open_dialog, ["Ctrl+O"], False)
    add_action(w, file_menu, "Open &Folder...", f.open_folder_dialog, ["Ctrl+Shift+O"], False)
    recent_menu = file_menu.addMenu("Open &Recent")
    add_action(w, file_menu, "&Import labels...", f.labels.import_dialog, ["Ctrl+I"])
    add_action(w, file_menu, "&Compare with labels...", f.labels.compare_dialog, ["Ctrl+Shift+I"])
    add_action(w, file_menu, "Open &video...", w.video.open_dialog, needs_session=False)
    file_menu.addSeparator()
    add_action(w, file_menu, "&Export labels as CSV...", f.export_csv, ["Ctrl+E", "Ctrl+S"])
    add_action(w, file_menu, "Export &BIDS events...", f.export_bids, ["Ctrl+Shift+E"])
    add_action(w, file_menu, "Export &statistics (CSV or JSON)...", f.export_statistics)
    add_action(w, file_menu, "Export co&mparison...", f.labels.export_comparison)
    file_menu.addSeparator()
    add_action(w, file_menu, "Saved sessio&n...", f.show_saved_session)
    add_action(w, file_menu, "Re&vert to model scoring...", f.revert_to_model)
    file_menu.addSeparator()
    add_action(w, file_menu, "&Quit", w.close, ["Ctrl+Q"], False)

    edit = w.menuBar().addMenu("&Edit")
    add_action(w, edit, "&Undo", lambda: s().undo(), ["Ctrl+Z"])
    add_action(w, edit, "&Redo", lambda: s().redo(), ["Ctrl+Shift+Z", "Ctrl+Y"])
    edit.addSeparator()
    label_actions = {}  # while the video plays, these act on the epoch it shows
    for key, stage in STAGE_KEYS.items():
        label_actions[stage] = add_action(w, edit, f"Label selection {stage.label}",
                                          lambda st=stage: w.video.labelling(lambda: w.label(st)),
                                          [key])
    add_action(w, edit, "&Confirm model labels in selection",
               lambda: w.video.labelling(lambda: s().confirm()), ["Return", "Enter"])
    edit.addSeparator()
    add_action(w, edit, "&Preferences...", w.preferences_dialog, ["Ctrl+,"], False)

    nav = w.menuBar().addMenu("&Navigate")
    add_action(w, nav, "Next epoch", lambda: s().step(1), ["Right"])
    add_action(w, nav, "Previous epoch", lambda: s().step(-1), ["Left"])
    add_action(w, nav, "Grow selection right", lambda: s().step(1, True), ["Shift+Right"])
    add_action(w, nav, "Grow selection left", lambda: s().step(-1, True), ["Shift+Left"])
    add_action(w, nav, "Next window", lambda: w.page(1), ["PgDown"])
    add_action(w, nav, "Previous window", lambda: w.page(-1), ["PgUp"])
    add_action(w, nav, "&Go to time...", w.go_to_dialog, ["Ctrl+G"])
    add_action(w, nav, "Next &low-confidence run", lambda: s().next_low_confidence(), ["N"])
    add_action(w, nav, "Previous low-confidence run",
               lambda: s().next_low_confidence(backward=True), ["Shift+N"])
    add_action(w, nav, "Next &unscored epoch", lambda: s().next_unscored(), ["U"])
    add_action(w, nav, "Next &disagreement with the second labels",
               lambda: w.next_disagreement(), ["D"])
    add_action(w, nav, "Previous disagreement", lambda: w.next_disagreement(True), ["Shift+D"])
    add_action(w, nav, "Zoom in", lambda: w.zoom(0.5), ["Ctrl++", "Ctrl+="])
    add_action(w, nav, "Zoom out", lambda: w.zoom(2.0), ["Ctrl+-"])
    nav.addSeparator()
    add_action(w, nav, "&Play / pause video", w.video.toggle_play, ["Space"])

    scoring = w.menuBar().addMenu("&Scoring")
    add_action(w, scoring, "&Score recording", f.score_again, ["Ctrl+R"])
    add_action(w, scoring, "C&hannels...", f.channels.choose)
    add_action(w, scoring, "&Cancel running task", w.task_bar.cancel, ["Esc"], False)

    model = w.menuBar().addMenu("&Model")
    add_action(w, model, "&Export corrections...", w.models.export_dialog)
    add_action(w, model, "&Fine-tune on my corrections...", w.models.finetune_dialog)

    view = w.menuBar().addMenu("&View")
    for dock in w.findChildren(QDockWidget):
        view.addAction(dock.toggleViewAction())

    about = w.menuBar().addMenu("&Help")
    add_action(w, about, "&Keyboard shortcuts", lambda: help_menu.open_shortcuts(w), ["F1"],
               False)
    add_action(w, about, "&About SleepScorer", lambda: help_menu.open_about(w),
               needs_session=False)
    return recent_menu, label_actions
