"""The few questions the app asks, each one function so tests can answer them."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

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


def ask_save(parent: QWidget | None) -> str:
    """'save', 'discard' or 'cancel'."""
    answer = QMessageBox.question(
        parent, "Unsaved labels", "The labels have changed since they were last exported.\n"
        "Save them before closing?", Button.Save | Button.Discard | Button.Cancel, Button.Save)
    return {Button.Save: "save", Button.Discard: "discard"}.get(answer, "cancel")


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
