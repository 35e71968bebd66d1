"""The few questions the app asks, each one function so tests can answer them."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QCheckBox, QInputDialog, QMessageBox, QWidget

Button = QMessageBox.StandardButton


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def ask_restore(parent: QWidget | None, n_edits: int, when: float) -> bool:
    stamp = datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M") if when else "earlier"
    answer = QMessageBox.question(
        parent, "Restore unsaved work?",
        f"This recording has {n_edits} unsaved change(s) from {stamp} (the app closed "
        "before they were saved).\n\nRestore them?",
        Button.Yes | Button.No, Button.Yes)
    return answer == Button.Yes


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def ask_save(parent: QWidget | None, name: str | None = None, exported: bool = True) -> str:
    """'save' (export a copy first), 'discard' (close without exporting) or 'cancel'.
    `name`: the recording's file name; `exported`: whether its labels were ever exported
    (a recording never exported has no "last export" to speak of).

    Nothing is lost either way: the session is kept by the app."""
    box = QMessageBox(QMessageBox.Icon.Question, "Export a copy?", save_question(name, exported),
                      Button.Save | Button.Discard | Button.Cancel, parent)
    box.button(Button.Save).setText("Export...")
    box.button(Button.Discard).setText("Close without exporting")
    answer = box.exec()
    return {Button.Save: "save", Button.Discard: "discard"}.get(answer, "cancel")


def save_question(name: str | None, exported: bool) -> str:
    """The close question's text: which recording, and whether it was ever exported."""
    which = name or "this recording"
    changed = (f"You changed labels of {which} since the last export." if exported else
               f"The labels of {which} are not exported yet.")
    return (f"{changed} Your work is kept by SleepScorer and comes back when you open "
            f"{which} again.\n\n"
            "Export a copy of the labels (CSV) before closing?")


def ask_revert(parent: QWidget | None, n_person: int) -> bool:
    answer = QMessageBox.question(
        parent, "Revert to model scoring?",
        f"{n_person} epoch(s) carry your own or imported labels. Revert every epoch to the "
        "model's label? A copy of the session is kept aside, and Ctrl+Z undoes.",
        Button.Yes | Button.Cancel, Button.Cancel)
    return answer == Button.Yes


def ask_rate(parent: QWidget | None, name: str, last: float | None) -> float | None:
    """Samples per second of a table that does not say (CSV/Parquet), or None if cancelled."""
    rate, ok = QInputDialog.getDouble(
        parent, "Sampling rate", f"{name} is a table of samples that does not say its sampling "
        "rate.\nSamples per second (Hz):", last or 512.0, 1.0, 1e6, 3)
    return rate if ok else None


def ask_drop_kind(parent: QWidget | None, name: str) -> str:
    """'labels', 'recording' or 'cancel' for a dropped file that holds both."""
    box = QMessageBox(QMessageBox.Icon.Question, "Labels or recording?",
                      f"{name} holds signals and labels. Import its labels onto the open "
                      "recording, or open it as a recording?", Button.Cancel, parent)
    labels = box.addButton("Import labels", QMessageBox.ButtonRole.AcceptRole)
    recording = box.addButton("Open recording", QMessageBox.ButtonRole.AcceptRole)
    box.exec()
    clicked = box.clickedButton()
    return "labels" if clicked is labels else "recording" if clicked is recording else "cancel"


def ask_keep_mine(parent: QWidget | None, n_mine: int, name: str) -> str:
    """'keep', 'replace' or 'cancel' when an import would relabel epochs you labelled."""
    box = QMessageBox(QMessageBox.Icon.Question, "Keep your labels?",
                      f"{name} labels {n_mine} epoch(s) that you labelled here differently. "
                      "Keep your labels there, or take the file's?", Button.Cancel, parent)
    keep = box.addButton("Keep mine", QMessageBox.ButtonRole.AcceptRole)
    replace = box.addButton("Take the file's", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(keep)
    box.exec()
    clicked = box.clickedButton()
    return "keep" if clicked is keep else "replace" if clicked is replace else "cancel"


def ask_rescore(parent: QWidget | None, n_person: int) -> tuple[bool, bool]:
    """(go ahead, overwrite the person's labels). Person labels are kept by default."""
    box = QMessageBox(QMessageBox.Icon.Question, "Score again?",
                      f"{n_person} epoch(s) carry your own or imported labels. Automatic "
                      "scoring keeps them unless you tick the box.", Button.Ok | Button.Cancel,
                      parent)
    check = QCheckBox("overwrite my labels")
    box.setCheckBox(check)
    go = box.exec() == Button.Ok
    return go, go and check.isChecked()


def ask_file_epoch_length(parent: QWidget | None, name: str, length: float, note: str) -> bool:
    """A label file that records no epoch length (AccuSleep, .mat) and is too short at the
    session's: read it as one label per `length` s instead?"""
    answer = QMessageBox.question(
        parent, "Epoch length of the labels",
        f"{name} does not say how long its epochs are. Read at the session's epoch length, "
        f"{note}.\n\nRead it as one label per {length:g} s instead?",
        Button.Yes | Button.No, Button.Yes)
    return answer == Button.Yes
