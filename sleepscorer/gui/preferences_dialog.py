"""Edit > Preferences: export epoch length, low-confidence threshold, optional stages and
stage colours. Reads and writes only through `Settings`; the window re-applies them.
"""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sleepscorer.gui.settings import CORE_STAGES, OPTIONAL_STAGES, Settings
from sleepscorer.stages import EXPORT_EPOCH_LENGTHS, STAGE_COLORS, Stage

COLOURED_STAGES = (*CORE_STAGES, *OPTIONAL_STAGES)


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_form(settings))
        layout.addWidget(self._build_stages(settings))
        layout.addWidget(self._build_colours(settings))
        self._show_colours()
        layout.addWidget(self._build_buttons())

    def _build_form(self, settings: Settings) -> QFormLayout:
        """Export and scoring options, each showing the value `accept` will write back."""
        form = QFormLayout()
        self.export_epoch = QComboBox()
        for seconds in EXPORT_EPOCH_LENGTHS:
            self.export_epoch.addItem(f"{seconds:g} s", seconds)
        current = settings.export_epoch_length
        index = self.export_epoch.findData(current)
        self.export_epoch.setCurrentIndex(max(0, index))
        self.export_epoch.setToolTip("epoch length of exported labels, CSV and BIDS events "
                                     "(majority vote of the scored epochs; mostly-unscored "
                                     "stays unscored)")
        form.addRow("export epoch length", self.export_epoch)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.30, 0.99)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(settings.low_confidence)
        self.threshold.setToolTip("model labels below this confidence are marked and N "
                                  "jumps to them")
        form.addRow("low-confidence threshold", self.threshold)
        self.rem_from_wake = _checkbox(
            "Allow REM straight from Wake", settings.rem_from_wake,
            "rodents enter REM from NREM, so by default REM that no NREM precedes is scored "
            "Wake; allow it for narcolepsy / cataplexy models")
        form.addRow("automatic scoring", self.rem_from_wake)
        self.rem_keeps_tone = _checkbox(
            "REM may keep muscle tone", settings.rem_keeps_tone,
            "by default an awake-looking epoch whose EMG lies far below NREM's is scored REM, "
            "and a sleeping-looking one whose EMG stays far above it Wake; turn this on for "
            "models of REM without atonia (REM sleep behaviour disorder)")
        form.addRow("", self.rem_keeps_tone)
        self.ignore_lab_gate = _checkbox(
            "Use a fine-tuned model on every recording", settings.ignore_lab_gate,
            "a fine-tuned model normally scores only recordings that look like the ones it "
            "was corrected on, and sends others to its parent model")
        form.addRow("", self.ignore_lab_gate)
        return form

    def _build_stages(self, settings: Settings) -> QGroupBox:
        """Only the optional stages get boxes: the core ones cannot be switched off."""
        stages_box = QGroupBox("Stages in use (Wake, NREM and REM always are)")
        row = QHBoxLayout(stages_box)
        self.optional: dict[Stage, QCheckBox] = {}
        for stage in OPTIONAL_STAGES:
            box = QCheckBox(stage.label)
            box.setChecked(stage in settings.stages)
            row.addWidget(box)
            self.optional[stage] = box
        row.addStretch(1)
        return stages_box

    def _build_colours(self, settings: Settings) -> QGroupBox:
        """Colours are edited on a copy, so Cancel leaves the settings untouched."""
        colours_box = QGroupBox("Stage colours")
        colours_form = QFormLayout(colours_box)
        self.colours = {s: settings.colours[s] for s in COLOURED_STAGES}
        self.colour_buttons: dict[Stage, QPushButton] = {}
        for stage in COLOURED_STAGES:
            button = QPushButton()
            button.setFixedWidth(90)
            button.clicked.connect(lambda *_, s=stage: self._pick(s))
            colours_form.addRow(stage.label, button)
            self.colour_buttons[stage] = button
        reset = QPushButton("Colour-blind-safe defaults")
        reset.setToolTip("Okabe-Ito colours, distinguishable with every common colour-vision "
                         "deficiency")
        reset.clicked.connect(self.reset_colours)
        colours_form.addRow(reset)
        return colours_box

    def _build_buttons(self) -> QDialogButtonBox:
        """Ok goes through `accept`, the only place the settings are written."""
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        return buttons

    def _show_colours(self) -> None:
        for stage, button in self.colour_buttons.items():
            colour = self.colours[stage]
            button.setText(colour)
            button.setStyleSheet(f"background:{colour}; color:{_text_colour(colour)}")

    def _pick(self, stage: Stage) -> None:
        colour = QColorDialog.getColor(QColor(self.colours[stage]), self,
                                       f"Colour for {stage.label}")
        if colour.isValid():
            self.set_colour(stage, colour.name())

    def set_colour(self, stage: Stage, colour: str) -> None:
        self.colours[stage] = colour.upper()
        self._show_colours()

    def reset_colours(self) -> None:
        self.colours = {s: STAGE_COLORS[s] for s in COLOURED_STAGES}
        self._show_colours()

    def accept(self) -> None:
        """Write the choices to the settings."""
        s = self.settings
        s.export_epoch_length = float(self.export_epoch.currentData())
        s.low_confidence = float(self.threshold.value())
        s.rem_from_wake = self.rem_from_wake.isChecked()
        s.rem_keeps_tone = self.rem_keeps_tone.isChecked()
        s.ignore_lab_gate = self.ignore_lab_gate.isChecked()
        s.stages = tuple(CORE_STAGES) + tuple(st for st, box in self.optional.items()
                                              if box.isChecked())
        if all(self.colours[st].upper() == STAGE_COLORS[st].upper() for st in COLOURED_STAGES):
            s.reset_colours()
        else:
            for stage, colour in self.colours.items():
                s.set_colour(stage, colour)
        s.sync()
        super().accept()


def _checkbox(text: str, checked: bool, tip: str) -> QCheckBox:
    box = QCheckBox(text)
    box.setChecked(checked)
    box.setToolTip(tip)
    return box


def _text_colour(background: str) -> str:
    c = QColor(background)
    return "#000000" if 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue() > 140 else "#FFFFFF"
