"""Amplitude scales of the trace tracks: each track keeps one y range for the whole recording
(scorers judge atonia and delta against a fixed scale), which only the person changes:
Ctrl+wheel over a track, or its right-click menu (larger, smaller, fit to what is shown,
reset to the recording's scale). Scrolling never touches it, and costs nothing here.

Holds the scales and draws them onto the tracks; the range arithmetic is
`backend.TrackScale` (core/display.py)."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

from sleepscorer.gui import backend

WHEEL_GAIN = 1.25  # one wheel step with Ctrl: traces 25 % larger (or smaller)
MENU_GAIN = 2.0


class TrackScales:
    """One `TrackScale` per trace track (by channel name). `visible(name)` gives the y values
    drawn now (for "fit to view"); `on_change(plot, lo, hi)` redraws what depends on the range
    (stage bands, thin-track ticks)."""

    def __init__(self, visible: Callable[[str], object],
                 on_change: Callable[[pg.PlotItem, float, float], None]):
        self.visible = visible
        self.on_change = on_change
        self.scales: dict[str, backend.TrackScale] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self.menu: QMenu | None = None

    def clear(self) -> None:
        self.scales.clear()
        self.plots.clear()

    def add(self, name: str, plot: pg.PlotItem, home: tuple[float, float]) -> None:
        self.scales[name] = backend.TrackScale(home)
        self.plots[name] = plot
        plot.vb.scalable = True
        plot.vb.scaleWheel.connect(lambda steps, n=name: self.zoom(n, WHEEL_GAIN ** steps))
        plot.vb.menuRequested.connect(lambda pos, n=name: self.show_menu(n, pos))
        self._apply(name)

    def span(self, name: str) -> tuple[float, float]:
        return self.scales[name].span

    # -- what the person does ------------------------------------------------------------
    def zoom(self, name: str, gain: float) -> None:
        self.scales[name].zoom(gain)
        self._apply(name)

    def fit(self, name: str) -> None:
        values = self.visible(name)
        if values is not None:  # nothing drawn yet: the scale stays
            self.scales[name].fit(values)
            self._apply(name)

    def reset(self, name: str) -> None:
        self.scales[name].reset()
        self._apply(name)

    def reset_all(self) -> None:
        for name in self.scales:
            self.reset(name)

    def menu_for(self, name: str) -> QMenu:
        """The track's scale menu (kept, so a test can trigger its actions)."""
        menu = QMenu()
        gain = self.scales[name].gain
        menu.addSection(f"{name}: scale x{gain:.3g} of the recording's")
        menu.addAction("Larger traces (Ctrl+wheel up)", lambda: self.zoom(name, MENU_GAIN))
        menu.addAction("Smaller traces (Ctrl+wheel down)",
                       lambda: self.zoom(name, 1 / MENU_GAIN))
        menu.addAction("Fit to this window", lambda: self.fit(name))
        menu.addAction("Reset to the recording's scale", lambda: self.reset(name))
        menu.addAction("Reset all tracks", self.reset_all)
        self.menu = menu
        return menu

    def show_menu(self, name: str, pos) -> None:
        self.menu_for(name).popup(QPoint(int(pos.x()), int(pos.y())))

    def _apply(self, name: str) -> None:
        lo, hi = self.scales[name].span
        plot = self.plots[name]
        plot.setYRange(lo, hi, padding=0)
        self.on_change(plot, lo, hi)
