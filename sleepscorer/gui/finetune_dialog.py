"""The fine-tune dialog: corrections summary, base model, progress with ETA, cancel, and
the before/after metrics with "Use this model".

The work runs as a `Task` (gui/workers.py, like every background job of the GUI) that
calls `workers.finetune`, and through the backend the Qt-free `model.finetune`; the dialog
only connects the task's signals. An accepted model is saved atomically in the user models
folder before "Use this model" is offered; a cancelled run writes nothing. Closing while it
runs cancels it and closes once the worker has stopped, never waiting on the GUI thread.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from sleepscorer.errors import Cancelled, SleepScorerError
from sleepscorer.gui import backend, workers
from sleepscorer.gui.workers import Task
from sleepscorer.stages import display_name


def results_text(before: dict, after: dict, classes: list[str],
                 warnings: list[str] | tuple = ()) -> str:
    """An HTML table of validation metrics, base vs fine-tuned, then what it cannot vouch
    for. A class with no held-out epochs has no F1 for either model: "n/a", not 0.000."""
    held = backend.reference_counts(metrics=before) or [1] * len(classes)
    rows = [("Accuracy", before["accuracy"], after["accuracy"]),
            ("Macro-F1", before["macro_f1"], after["macro_f1"])]
    rows += [(f"F1 {display_name(c)}", before["f1_per_class"][i] if held[i] else None,
              after["f1_per_class"][i] if held[i] else None) for i, c in enumerate(classes)]
    cells = "".join(
        f"<tr><td>{n}</td><td align=right>{b:.3f}</td><td align=right>{a:.3f}</td>"
        f"<td align=right>{a - b:+.3f}</td></tr>" if b is not None else
        f"<tr><td>{n}</td><td align=right>n/a</td><td align=right>n/a</td>"
        "<td>none held out</td></tr>" for n, b, a in rows)
    notes = "".join(f"<p>Note: {html.escape(w)}.</p>" for w in warnings)
    return ("<table cellspacing=6><tr><th align=left>validation</th><th>base</th>"
            f"<th>fine-tuned</th><th>change</th></tr>{cells}</table>{notes}")


class FinetuneDialog(QDialog):
    """Fine-tune a model on corrections folders; `model_path` is set by "Use this model".
    `cfg`: a backend.FinetuneConfig (default: its defaults)."""

    def __init__(self, folders: list[Path], base: Path | None = None,
                 out_dir: Path | None = None, cfg=None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.setWindowTitle("Fine-tune the model on your corrections")
        self.folders = [Path(f) for f in folders]
        self.base = Path(base) if base is not None else backend.default_weights_path()
        self.out_dir = Path(out_dir) if out_dir is not None else backend.user_models_dir()
        self.cfg = cfg or backend.FinetuneConfig()
        self.model_path: Path | None = None
        self.result = None
        self.task: Task | None = None
        self.closing = False  # closed while running: closes when the worker stops
        self._build()

    # -- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.setMinimumWidth(560)  # and `_fit` grows it with its wrapped texts
        box = QGroupBox("Corrections")
        grid = QGridLayout(box)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        grid.addWidget(self.summary_label, 0, 0)
        layout.addWidget(box)
        self.base_label = QLabel(f"Base model: {self.base.name}")
        layout.addWidget(self.base_label)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.status_label = QLabel("Ready")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        self.results_label = QLabel()
        self.results_label.setWordWrap(True)
        layout.addWidget(self.results_label)
        buttons = QDialogButtonBox()
        self.start_button = QPushButton("Fine-tune")
        self.cancel_button = QPushButton("Cancel")
        self.use_button = QPushButton("Use this model")
        self.close_button = QPushButton("Close")
        for b, role in ((self.start_button, QDialogButtonBox.ActionRole),
                        (self.cancel_button, QDialogButtonBox.ActionRole),
                        (self.use_button, QDialogButtonBox.AcceptRole),
                        (self.close_button, QDialogButtonBox.RejectRole)):
            buttons.addButton(b, role)
        self.cancel_button.setEnabled(False)
        self.use_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self._use)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self._show_summary()

    def _show_summary(self) -> None:
        totals: dict[str, int] = {}
        recordings, notes = 0, []
        try:
            for folder in self.folders:
                manifest = backend.read_manifest(folder=folder)
                recordings += len(manifest["recordings"])
                notes += [note] if (note := backend.left_out_text(manifest=manifest)) else []
                for c, n in manifest.get("label_counts", {}).items():
                    totals[c] = totals.get(c, 0) + int(n)
        except SleepScorerError as exc:
            self.summary_label.setText(f"Cannot use these corrections:\n{exc}")
            self.start_button.setEnabled(False)
            return
        total = sum(totals.values())
        per_class = ", ".join(f"{display_name(c)}: {n}" for c, n in totals.items())
        self.summary_label.setText(f"{recordings} recording(s), {total} labelled epochs "
                                   f"({total / 60:.0f} min)\n{per_class}"
                                   + "".join(f"\n{note}" for note in notes))
        self.start_button.setEnabled(total > 0)

    # -- work ---------------------------------------------------------------------------
    def start(self) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out_path = self.out_dir / f"{self.base.stem}-finetuned-{stamp}.safetensors"
        self.task = Task("Fine-tuning", workers.finetune, folders=self.folders, base=self.base,
                         out_path=out_path, config=self.cfg)
        self.task.progress.connect(self._on_progress)
        self.task.status.connect(self.status_label.setText)
        self.task.returned.connect(lambda done: self._on_done(*done))
        self.task.errored.connect(self._on_error)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.use_button.setEnabled(False)
        self.results_label.clear()
        self.status_label.setText("Starting...")
        self.task.start()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.status_label.setText("Cancelling...")
            self.cancel_button.setEnabled(False)

    def is_running(self) -> bool:
        return self.task is not None and self.task.running

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:  # steps without a count leave the bar as it is
            self.progress_bar.setValue(int(100 * done / total))

    def _finish(self, text: str) -> None:
        self.cancel_button.setEnabled(False)
        self.start_button.setEnabled(not self.closing)
        self.status_label.setText(text)
        self._fit()

    def _fit(self) -> None:
        """Grow to hold every wrapped line: a dialog left at its first size squashed the
        Corrections box to a sliver when a long reason arrived."""
        self.layout().activate()
        self.resize(self.width(), max(self.height(), self.layout().totalHeightForWidth(self.width())))

    def _on_done(self, result: object, saved: object) -> None:
        self.result = result
        # refused before training (too few corrections): no bar at 100 % that reads as success
        self.progress_bar.setValue(100 if getattr(result, "candidate", None) is not None else 0)
        if result.metrics_before and result.metrics_after:
            self.results_label.setText(results_text(result.metrics_before, result.metrics_after,
                                                    list(result.base.card["classes"]),
                                                    getattr(result, "warnings", ())))
        if saved is not None:
            self.model_path = Path(saved)
            self.use_button.setEnabled(True)
            gate = (" Recordings that do not look like these will be scored by "
                    f"{result.base.name} instead." if result.card.get("lab_gate") else "")
            self._finish(f"Better than the base model: {result.reason}. Saved as "
                         f"{self.model_path.name}.{gate}")
        else:
            self._finish(f"Not saved: {result.reason}.")

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self._on_cancelled()
        elif isinstance(exc, SleepScorerError):
            self._finish(f"Error: {exc}")
        else:  # shown to the user, never a traceback
            self._finish(f"Error: fine-tuning failed unexpectedly: {exc!r}")

    def _on_cancelled(self) -> None:
        self.progress_bar.setValue(0)
        self._finish("Cancelled; nothing was saved.")

    def _use(self) -> None:
        if self.model_path is not None:
            self.accept()

    def reject(self) -> None:
        """Close, Escape or the title bar's close. While training: cancel, say so, and close
        when the worker stops; waiting for it here froze the window for 9 s."""
        if not self.is_running():
            super().reject()
            return
        if self.closing:
            return
        self.closing = True
        self.cancel()
        self.close_button.setEnabled(False)
        self.start_button.setEnabled(False)
        self.status_label.setText("Cancelling; this window closes when fine-tuning has "
                                  "stopped. Nothing is saved, and the model in use stays.")
        self.task.finished.connect(lambda: QDialog.reject(self))
