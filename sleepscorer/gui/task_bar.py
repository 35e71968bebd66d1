"""Status-bar widget for the running task: what it does, a progress bar, ETA, Cancel.

Several tasks can run at once (a recording opening while the open one is still scored): the
bar shows the latest, and goes back to an earlier one still running when the latest ends."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from sleepscorer.gui.time_axis import format_time
from sleepscorer.gui.workers import Task


class TaskBar(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tasks: list[Task] = []  # running, oldest first; the last is shown
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

    @property
    def task(self) -> Task | None:
        return self.tasks[-1] if self.tasks else None

    def watch(self, task: Task) -> None:
        self.tasks.append(task)
        task.progress.connect(lambda d, t: self._progress(task, d, t))
        task.status.connect(lambda text: task is self.task and self.text.setText(text))
        task.finished.connect(lambda: self._finished(task))
        self._show(task)

    def _show(self, task: Task) -> None:
        self.text.setText(task.name)
        self.bar.setRange(0, 0)  # busy until the next progress report
        self.eta.setText("")
        self.cancel_button.setEnabled(True)
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
        shown = task is self.task
        if task in self.tasks:
            self.tasks.remove(task)
        if self.task is None:
            self.hide()
        elif shown:
            self._show(self.task)
