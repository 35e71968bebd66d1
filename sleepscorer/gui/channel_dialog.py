"""Ask which channel is EEG and which EMG, when the names did not tell."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from sleepscorer.gui import backend


class ChannelDialog(QDialog):
    def __init__(self, recording, parent=None, chosen: dict | None = None):
        """`chosen`: the roles picked last time for this recording (channel -> "EEG", ...),
        offered first so that reopening is one OK."""
        super().__init__(parent)
        self.setWindowTitle("Which channel is which?")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"No EEG channel was recognised in {recording.source.name}.\n"
                                "Choose the role of each channel (scoring needs one EEG)."))
        form = QFormLayout()
        self.boxes: dict[str, QComboBox] = {}
        for i, channel in enumerate(recording.channels):
            box = QComboBox()
            for kind in backend.ChannelKind:
                box.addItem(kind.value, kind)
            guess = channel.kind
            if recording.eeg is None and i == 0:
                guess = backend.ChannelKind.EEG
            elif recording.emg is None and i == 1 and guess is backend.ChannelKind.OTHER:
                guess = backend.ChannelKind.EMG
            if chosen and channel.name in chosen:
                guess = backend.ChannelKind(chosen[channel.name])
            box.setCurrentIndex(list(backend.ChannelKind).index(guess))
            form.addRow(f"{channel.name} ({channel.rate:g} Hz)", box)
            self.boxes[channel.name] = box
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.missing = QLabel("Choose one channel as EEG: scoring needs it.")
        self.missing.setStyleSheet("color: #b00020")
        layout.addWidget(self.missing)
        layout.addWidget(buttons)
        for box in self.boxes.values():
            box.currentIndexChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        """OK only with an EEG chosen: without one the dialog came back unexplained."""
        has_eeg = backend.ChannelKind.EEG in self.roles().values()
        self.ok.setEnabled(has_eeg)
        self.missing.setVisible(not has_eeg)

    def roles(self) -> dict:  # channel name -> ChannelKind
        return {name: box.currentData() for name, box in self.boxes.items()}
