"""Dock contents: time in each state, bouts and transitions of the current hypnogram, with a
small bar plot of time per state and CSV export. Recomputed shortly after edits stop."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sleepscorer.core.statistics import SleepStatistics, compute_statistics
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import STAGE_COLORS, Stage


class StatisticsPanel(QWidget):
    exportRequested = Signal()  # noqa: N815

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hypnogram: Hypnogram | None = None
        self.stats: SleepStatistics | None = None
        self.colours = dict(STAGE_COLORS)
        self.stages: tuple[Stage, ...] = (Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA,
                                          Stage.ARTIFACT)
        layout = QVBoxLayout(self)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setFixedHeight(130)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "% scored")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.plot.addItem(self.bars)
        layout.addWidget(self.plot)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["time", "%", "bouts", "mean bout"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table)
        layout.addWidget(QLabel("transitions (row = from, column = to)"))
        self.transitions = QTableWidget(0, 0)
        self.transitions.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.transitions.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.transitions)
        export = QPushButton("Export statistics as CSV...")
        export.clicked.connect(self.exportRequested.emit)
        layout.addWidget(export)
        layout.addStretch(1)
        self._timer = QTimer(self, singleShot=True, interval=300)
        self._timer.timeout.connect(self.refresh)

    def set_hypnogram(self, hyp: Hypnogram | None) -> None:
        self.hypnogram = hyp
        self.refresh()

    def schedule_refresh(self, *_args) -> None:
        self._timer.start()

    def refresh(self) -> None:
        if self.hypnogram is None:
            self.stats = None
            self.table.setRowCount(0)
            return
        present = set(np.unique(self.hypnogram.stages).tolist())
        states = tuple(s for s in Stage if s != Stage.UNSCORED
                       and (s in self.stages or int(s) in present))  # used, or in the labels
        self.stats = st = compute_statistics(self.hypnogram, states=states)
        self.table.setRowCount(len(st.states) + 1)
        self.table.setVerticalHeaderLabels([s.label for s in st.states] + ["Unscored"])
        for row, s in enumerate(st.states):
            values = [f"{st.time_s[s] / 60:.1f} min", f"{st.percent_of_scored[s]:.1f}",
                      str(st.bout_count[s]), f"{st.mean_bout_s[s]:.1f} s"]
            for col, text in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.setItem(len(st.states), 0, QTableWidgetItem(f"{st.unscored_s / 60:.1f} min"))
        for col in range(1, 4):
            self.table.setItem(len(st.states), col, QTableWidgetItem(""))
        n = len(st.states)
        self.transitions.setRowCount(n)
        self.transitions.setColumnCount(n)
        labels = [s.label for s in st.states]
        self.transitions.setHorizontalHeaderLabels(labels)
        self.transitions.setVerticalHeaderLabels(labels)
        for i in range(n):
            for j in range(n):
                self.transitions.setItem(i, j, QTableWidgetItem(str(int(st.transitions[i, j]))))
        heights = [st.percent_of_scored[s] for s in st.states]
        brushes = [pg.mkBrush(self.colours[s]) for s in st.states]
        self.bars.setOpts(x=np.arange(n), height=heights, width=0.7, brushes=brushes)
        self.plot.getAxis("bottom").setTicks([list(enumerate(labels))])
        self.plot.setYRange(0, max(10.0, max(heights, default=0) * 1.1), padding=0)
        self.plot.setXRange(-0.6, n - 0.4, padding=0)
        for table in (self.table, self.transitions):  # as tall as their rows, no blank area
            table.setFixedHeight(table.horizontalHeader().height() + 2
                                 + sum(table.rowHeight(r) for r in range(table.rowCount())))

    def set_colours(self, colours: dict[Stage, str]) -> None:
        self.colours = dict(colours)

    def set_stages(self, stages: tuple[Stage, ...]) -> None:
        """Show rows for these stages (and any other stage the labels contain)."""
        self.stages = tuple(stages)
        self.refresh()
