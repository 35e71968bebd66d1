"""Dock contents: the models this user has (bundled and fine-tuned), their cards, which one
scores, on what signals, and the Re-score button.

Knows no model code: it shows `ModelEntry`-like objects (path, card, bundled, name) that
ModelActions lists in a worker, and says what the user chose through signals.
"""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sleepscorer.gui import backend

MODALITIES = {"EEG + EMG": "both", "EEG only": "eeg"}
NO_MODELS = "no model yet (the bundled weights are missing)"
LOADING_MODELS = "looking for models..."  # until the list is read: never "missing" meanwhile
FINE_TUNED = " (fine-tuned)"  # how a fine-tune names its model after its parent


def entry_label(entry) -> str:
    """A model's line in the list, what tells it apart first: "bundled: NAME", "fine-tuned:
    NAME (2026-12-08 01:29)" or, for a file added by hand, "FILE: NAME". The list cuts a long
    line in its middle, so its start and end stay in view (a QA pass read the bundled and
    the fine-tuned model alike as "sdreamer-seq spectral, weaker contrast...")."""
    name = str(entry.name)
    if entry.bundled:
        return f"bundled: {name}"
    if entry.card.get("parent_sha256"):
        when = backend.short_date(text=entry.card.get("created"))
        name = name.removesuffix(FINE_TUNED)
        return f"fine-tuned: {name} ({when})"  # the end of a cut line tells two apart
    return f"{Path(entry.path).name}: {name}"


def card_text(card: dict) -> str:
    """The card for "Show card": what a researcher asks first (what it scores, what it
    learnt from, how it was measured), then the whole card as JSON for the rest."""
    data = card.get("training_data") or {}
    learnt = backend.trained_on_text(card=card) or data.get("statement") or "not stated in the card"
    signals = " + ".join(str(m).upper() for m in card.get("modalities", [])) or "?"
    lines = [str(card.get("name", "unnamed model")), "",
             f"Scores:      {', '.join(map(str, card.get('classes', [])))} "
             f"per {card.get('epoch_length', '?')}-s epoch, from {signals}",
             f"Network:     {card.get('architecture', '?')}",
             f"Created:     {backend.short_date(text=card.get('created'))}",
             f"Metrics:     {backend.metrics_text(card=card)}",
             "", "Trained on:", textwrap.fill(str(learnt), 88), "",
             "Whole card (JSON):", json.dumps(card, indent=2, sort_keys=True, default=str)]
    if gate := backend.gate_text(card=card):
        lines.insert(6, f"Lab gate:    {gate.removeprefix('lab gate: ')}")
    return "\n".join(lines)


class ModelPanel(QWidget):
    scoreRequested = Signal()  # noqa: N815  re-score with the chosen model
    activeChanged = Signal(object)  # noqa: N815  Path of the chosen model (None: none)
    addRequested = Signal()  # noqa: N815  the user wants to add a model file

    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries: list = []
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.models = QComboBox()
        self.models.addItem(LOADING_MODELS, None)
        self.models.view().setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the open list too
        self.models.activated.connect(self._chosen)
        form.addRow("model", self.models)
        self.modality = QComboBox()
        self.modality.addItems(list(MODALITIES))
        self.modality.currentIndexChanged.connect(  # the labels shown are unchanged until then
            lambda _: self.info.setText("signals changed: Ctrl+R re-scores with them"))
        form.addRow("signals", self.modality)
        layout.addLayout(form)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # the card scrolls on its own: a fine-tuned model's longer card pushed the Re-score
        # button out of a short dock (a user trial saw half of it)
        self.details_area = QScrollArea()
        self.details_area.setWidget(self.details)
        self.details_area.setWidgetResizable(True)
        self.details_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.details_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_area.setMinimumHeight(3 * self.fontMetrics().lineSpacing())
        layout.addWidget(self.details_area, 1)
        row = QHBoxLayout()
        self.card_button = QPushButton("Show card")
        self.card_button.clicked.connect(self.show_card)
        self.add_button = QPushButton("Add model file...")
        self.add_button.clicked.connect(self.addRequested.emit)
        row.addWidget(self.card_button)
        row.addWidget(self.add_button)
        layout.addLayout(row)
        self.button = QPushButton("Re-score with this model (Ctrl+R)")
        self.button.setToolTip("labels you set or imported are kept unless you ask otherwise")
        self.button.clicked.connect(self.scoreRequested.emit)
        layout.addWidget(self.button)
        self.info = QLabel("no scoring yet")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self._show_details()

    # -- the list ---------------------------------------------------------------------
    def set_models(self, entries: list, active: Path | None) -> None:
        """Show `entries`; select `active` (a path), else the bundled model, else the first."""
        self.entries = list(entries)
        self.models.clear()
        for i, entry in enumerate(self.entries):
            self.models.addItem(entry_label(entry), str(entry.path))
            self.models.setItemData(i, f"{entry_label(entry)}\n{entry.path}",
                                    Qt.ItemDataRole.ToolTipRole)
        if not self.entries:
            self.models.addItem(NO_MODELS, None)
        index = self._index_of(active)
        if index < 0:
            index = next((i for i, e in enumerate(self.entries) if e.bundled), 0)
        self.models.setCurrentIndex(index)
        self._show_details()

    def _index_of(self, path: Path | str | None) -> int:
        if path is None:
            return -1
        target = Path(path).resolve()
        return next((i for i, e in enumerate(self.entries)
                     if Path(e.path).resolve() == target), -1)

    def select(self, path: Path | str) -> bool:
        index = self._index_of(path)
        if index >= 0:
            self.models.setCurrentIndex(index)
            self._show_details()
        return index >= 0

    def _chosen(self, _index: int) -> None:
        self._show_details()
        self.activeChanged.emit(self.weights)

    @property
    def entry(self):
        index = self.models.currentIndex()
        return self.entries[index] if 0 <= index < len(self.entries) else None

    @property
    def weights(self) -> Path | None:
        """The chosen model's file (None when there is none)."""
        entry = self.entry
        return Path(entry.path) if entry is not None else None

    @property
    def modality_name(self) -> str:
        return MODALITIES[self.modality.currentText()]

    # -- details ----------------------------------------------------------------------
    def _parent_name(self, card: dict) -> str:
        parent = card.get("parent_sha256")
        if not parent:
            return "none (trained from scratch)"
        for e in self.entries:
            if parent in (e.card.get("weights_sha256"), e.card.get("file_sha256")):
                return e.name
        return f"{parent[:12]}... (not in the list)"

    def _show_details(self) -> None:
        entry = self.entry
        self.card_button.setEnabled(entry is not None)
        if entry is None:
            self.details.setText("")
            return
        card = entry.card
        gate = backend.gate_text(card=card)
        trained = html.escape(backend.trained_on_text(card=card))  # a fine-tuned model's data
        self.details.setText(
            f"<b>{entry.name}</b><br>architecture: {card.get('architecture', '?')}<br>"
            f"created: {backend.short_date(text=card.get('created'))}<br>"
            f"parent: {self._parent_name(card)}<br>metrics: {backend.metrics_text(card=card)}"
            + (f"<br>{trained}" if trained else "") + (f"<br>{gate}" if gate else ""))
        self.details.setToolTip(str(entry.path))

    def show_card(self) -> None:
        entry = self.entry
        if entry is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Model card: {entry.name}")
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(str(entry.path)))
        text = QPlainTextEdit(card_text(entry.card))
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        dialog.resize(560, 520)
        self.card_dialog = dialog  # tests look at it
        dialog.open()

    def show_result(self, model_name: str, device: str, modality: str = "both") -> None:
        signals = {"eeg": " from the EEG alone", "emg": " from the EMG alone"}.get(modality, "")
        self.info.setText(f"last scored by {model_name}{signals} on {device}")

    def show_unscored(self) -> None:
        self.info.setText("this recording is not scored yet")

    def show_restored(self, model_name: str | None) -> None:
        """Labels came back from the saved session, not from a scoring run of this one."""
        by = f" (scored by {model_name})" if model_name else ""
        self.info.setText(f"labels restored from your last session{by}; "
                          "Re-score to score again")
