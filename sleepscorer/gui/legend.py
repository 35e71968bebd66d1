"""Stage legend for the toolbar: coloured chips with the key that sets each stage in use."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from sleepscorer.stages import STAGE_KEYS, Stage


class StageLegend(QWidget):
    def __init__(self, colours: dict[Stage, str], stages: tuple[Stage, ...], parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(8)
        self.chips: dict[Stage, QLabel] = {}
        self.set_stages(colours, stages)

    def set_stages(self, colours: dict[Stage, str], stages: tuple[Stage, ...]) -> None:
        """Show chips for `stages` (plus Unscored) in `colours`; others are hidden."""
        layout = self.layout()
        while layout.count():
            item = layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.chips.clear()
        keys = {stage: key for key, stage in STAGE_KEYS.items()}
        for stage in (*stages, Stage.UNSCORED):
            colour = colours[stage]
            chip = QLabel(f"<span style='background:{colour};border:1px solid #555'>"
                          f"&nbsp;&nbsp;&nbsp;&nbsp;</span> {keys.get(stage, '')} {stage.label}")
            chip.setToolTip(f"press {keys.get(stage, '?')} to label the selection {stage.label}")
            layout.addWidget(chip)
            self.chips[stage] = chip
        hint = QLabel("<small>solid = yours, pale = model; ▬ = checked by a person</small>")
        layout.addWidget(hint)
