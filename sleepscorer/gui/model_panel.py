"""Dock contents: which model scores, on what signals, and the Score button.

The model list is a placeholder until fine-tuned models can be saved and listed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

MODALITIES = {"EEG + EMG": "both", "EEG only": "eeg"}


class ModelPanel(QWidget):
    scoreRequested = Signal()  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.models = QComboBox()
        self.models.addItem("sDREAMER (bundled)", None)
        form.addRow("model", self.models)
        self.modality = QComboBox()
        self.modality.addItems(list(MODALITIES))
        form.addRow("signals", self.modality)
        layout.addLayout(form)
        self.button = QPushButton("Score recording (Ctrl+R)")
        self.button.clicked.connect(self.scoreRequested.emit)
        layout.addWidget(self.button)
        self.info = QLabel("no scoring yet")
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        layout.addStretch(1)

    @property
    def weights(self):
        return self.models.currentData()

    @property
    def modality_name(self) -> str:
        return MODALITIES[self.modality.currentText()]

    def show_result(self, model_name: str, device: str) -> None:
        self.info.setText(f"last scored by {model_name} on {device}")
