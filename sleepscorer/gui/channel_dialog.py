"""Ask which channel to score as EEG and which as EMG: on opening, when the names did not tell,
and at any time from Scoring > Channels... (pre-filled with the roles in use)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout

from sleepscorer.gui import backend

NO_EMG = "none (score from EEG alone)"


def _first(chosen: dict | None, kind) -> str | None:  # noqa: ANN001
    return next((name for name, k in (chosen or {}).items() if backend.ChannelKind(k) is kind),
                None)


class ChannelDialog(QDialog):
    def __init__(self, recording, parent=None, chosen: dict | None = None):
        """`chosen`: the roles picked last time for this recording (channel -> "EEG", ...),
        offered first so that reopening is one OK; else the roles in use, else a guess."""
        super().__init__(parent)
        self.recording = recording
        self.setWindowTitle("Channels to score")
        layout = QVBoxLayout(self)
        name = recording.source.name
        layout.addWidget(QLabel(
            f"No EEG channel was recognised in {name}.\nChoose the channel to score as EEG "
            "(scoring needs one) and the EMG." if recording.eeg is None else
            f"Choose the channels of {name} to score as EEG and EMG.\nA change re-scores the "
            "epochs no person has labelled."))
        names = [c.name for c in recording.channels]
        self.eeg_box, self.emg_box = QComboBox(), QComboBox()
        self.emg_box.addItem(NO_EMG, None)
        for c in recording.channels:  # a lost electrode is said where it is chosen
            flat = backend.flat_clause(notes=list(recording.warnings), name=c.name)
            text = f"{c.name} ({c.kind.value}, {c.rate:g} Hz" + (f"; {flat})" if flat else ")")
            self.eeg_box.addItem(text, c.name)
            self.emg_box.addItem(text, c.name)
        eeg = _first(chosen, backend.ChannelKind.EEG) or (recording.eeg.name if recording.eeg
                                                         else names[0])
        emg = _first(chosen, backend.ChannelKind.EMG) if chosen else None
        if emg is None and not chosen:
            emg = recording.emg.name if recording.emg else None
            if emg is None and recording.eeg is None and len(names) > 1 and \
                    recording.channels[1].kind is backend.ChannelKind.OTHER:
                emg = names[1]
        self.eeg_box.setCurrentIndex(max(0, self.eeg_box.findData(eeg)))
        self.emg_box.setCurrentIndex(max(0, self.emg_box.findData(emg)) if emg else 0)
        form = QFormLayout()
        form.addRow("Score as EEG", self.eeg_box)
        form.addRow("Score as EMG", self.emg_box)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.missing = QLabel("EEG and EMG must be different channels.")
        self.missing.setStyleSheet("color: #b00020")
        layout.addWidget(self.missing)
        layout.addWidget(buttons)
        self.eeg_box.currentIndexChanged.connect(self._check)
        self.emg_box.currentIndexChanged.connect(self._check)
        self._check()

    def choose(self, eeg: str, emg: str | None) -> None:
        """Pick channels by name (`emg` None: no EMG), as a person would in the boxes."""
        self.eeg_box.setCurrentIndex(self.eeg_box.findData(eeg))
        self.emg_box.setCurrentIndex(self.emg_box.findData(emg) if emg else 0)

    def _check(self) -> None:
        """OK only with EEG and EMG on different channels (one cannot be both)."""
        same = self.eeg_box.currentData() == self.emg_box.currentData()
        self.ok.setEnabled(not same)
        self.missing.setVisible(same)

    def roles(self) -> dict:
        """Channel name -> ChannelKind: the EEG and EMG chosen (scored in those roles); with no
        EMG chosen, the channels marked EMG become "other", so the scoring is EEG-only."""
        kind = backend.ChannelKind
        eeg, emg = self.eeg_box.currentData(), self.emg_box.currentData()
        roles = {eeg: kind.EEG}
        if emg is not None:
            roles[emg] = kind.EMG
        else:
            roles.update({c.name: kind.OTHER for c in self.recording.channels
                          if c.kind is kind.EMG and c.name != eeg})
        return roles
