"""Stage legend for the toolbar: coloured chips with the key that sets each stage."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from sleepscorer.core.stages import STAGE_KEYS, Stage


class StageLegend(QWidget):
    def __init__(self, colours: dict[Stage, str], stages: tuple[Stage, ...], parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(8)
        keys = {stage: key for key, stage in STAGE_KEYS.items()}
        for stage in (*stages, Stage.UNSCORED):
            colour = colours[stage]
            chip = QLabel(f"<span style='background:{colour};border:1px solid #555'>"
                          f"&nbsp;&nbsp;&nbsp;&nbsp;</span> {keys.get(stage, '')} {stage.label}")
            chip.setToolTip(f"press {keys.get(stage, '?')} to label the selection {stage.label}")
            layout.addWidget(chip)
        hint = QLabel("<small>strip: solid = yours, pale = model; ▬ = checked by a person</small>")
        layout.addWidget(hint)
