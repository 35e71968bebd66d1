"""Status-bar widget for the running task: what it does, a progress bar, ETA, Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from sleepscorer.gui.time_axis import format_time
from sleepscorer.gui.workers import Task


class TaskBar(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.task: Task | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.bar.setTextVisible(True)
        self.eta = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running task (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        for w in (self.text, self.bar, self.eta, self.cancel_button):
            layout.addWidget(w)
        self.hide()

    def watch(self, task: Task) -> None:
        self.task = task
        self.text.setText(task.name)
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.eta.setText("")
        self.cancel_button.setEnabled(True)
        task.progress.connect(lambda d, t: self._progress(task, d, t))
        task.status.connect(lambda text: task is self.task and self.text.setText(text))
        task.finished.connect(lambda: self._finished(task))
        self.show()

    def _progress(self, task: Task, done: int, total: int) -> None:
        if task is not self.task:
            return
        if total <= 0:
            self.bar.setRange(0, 0)
            return
        self.bar.setRange(0, total)
        self.bar.setValue(min(done, total))
        eta = self.task.eta_s(done, total)
        self.eta.setText("" if eta is None else f"ETA {format_time(eta)}")

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.text.setText(f"{self.task.name}: cancelling...")
            self.cancel_button.setEnabled(False)

    def _finished(self, task: Task) -> None:
        if task is self.task:
            self.task = None
            self.hide()
