"""Dock contents: every warning of the open recording and its scoring, kept in one list
(the status bar shows one message at a time, so warnings there overwrote each other).

`countChanged` tells the window how many there are; the window hides the dock when there
are none. Opened by hand (View menu) with none, the panel says so instead of showing an
empty list."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

NO_WARNINGS = "No warnings for this recording."


class WarningsPanel(QWidget):
    countChanged = Signal(int)  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        layout.addWidget(self.list)
        self.empty_label = QLabel(NO_WARNINGS)
        layout.addWidget(self.empty_label)
        self.countChanged.connect(self._show_empty)
        self._show_empty(0)

    def _show_empty(self, n: int) -> None:
        self.list.setVisible(n > 0)
        self.empty_label.setVisible(n == 0)

    def add(self, source: str, text: str) -> None:
        """One warning; the same text from the same source is listed once."""
        line = f"{source}: {text}"
        if line in self.texts():
            return
        item = QListWidgetItem(line)
        item.setToolTip(line)
        self.list.addItem(item)
        self.countChanged.emit(self.list.count())

    def replace_source(self, source: str, texts: list[str]) -> None:
        """`source`'s warnings become `texts`: a re-scoring's notes replace the last one's,
        which may no longer hold for the labels shown."""
        prefix = f"{source}: "
        for i in reversed(range(self.list.count())):
            if self.list.item(i).text().startswith(prefix):
                self.list.takeItem(i)
        for text in texts:
            self.add(source, text)
        self.countChanged.emit(self.list.count())

    def clear_for(self, _source: str | None = None) -> None:
        """A new recording: its warnings replace the old ones."""
        self.list.clear()
        self.countChanged.emit(0)

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]
