"""A row of per-epoch colours drawn as image tiles (one pixel per epoch, nearest-neighbour).

pyqtgraph averages images wider than 32767 pixels, which would blend stage colours and
fails on RGBA input; tiles of 8192 epochs keep every colour exact and let an edit
re-upload only the tiles it touches, so an 86,400-epoch day recolours in a millisecond.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

TILE = 8192


class StageStrip:
    def __init__(self, plot: pg.PlotItem, z: float = 0.0, opacity: float = 1.0):
        self.plot = plot
        self.z = z
        self.opacity = opacity
        self.items: list[pg.ImageItem] = []
        self.rgba = np.zeros((0, 4), np.uint8)
        self.epoch_length = 1.0
        self.y, self.height = 0.0, 1.0

    def set(self, rgba: np.ndarray, epoch_length: float, y: float, height: float) -> None:
        """Show `rgba` (n_epochs, 4) uint8 over y..y+height."""
        self.rgba = np.array(rgba, dtype=np.uint8)  # own copy: updates go through update()
        self.epoch_length, self.y, self.height = float(epoch_length), float(y), float(height)
        n_tiles = -(-len(self.rgba) // TILE)
        while len(self.items) < n_tiles:
            item = pg.ImageItem(axisOrder="row-major")
            item.setZValue(self.z)
            item.setOpacity(self.opacity)
            self.plot.addItem(item, ignoreBounds=True)
            self.items.append(item)
        while len(self.items) > n_tiles:
            self.plot.removeItem(self.items.pop())
        for tile in range(n_tiles):
            self._upload(tile)

    def update(self, rgba_slice: np.ndarray, start: int) -> None:
        """Replace epochs [start, start + len(rgba_slice)) and re-upload their tiles."""
        stop = start + len(rgba_slice)
        self.rgba[start:stop] = rgba_slice
        for tile in range(start // TILE, -(-stop // TILE)):
            self._upload(tile)

    def set_y(self, y: float, height: float) -> None:
        """Move the strip vertically (the traces' y range changed); no re-upload."""
        if (y, height) == (self.y, self.height):
            return
        self.y, self.height = float(y), float(height)
        for tile, item in enumerate(self.items):
            a, b = tile * TILE, min(len(self.rgba), (tile + 1) * TILE)
            item.setRect(a * self.epoch_length, self.y, (b - a) * self.epoch_length, self.height)

    def _upload(self, tile: int) -> None:
        a, b = tile * TILE, min(len(self.rgba), (tile + 1) * TILE)
        item = self.items[tile]
        item.setImage(self.rgba[None, a:b], autoLevels=False, autoDownsample=False,
                      levels=(0, 255))
        item.setRect(a * self.epoch_length, self.y, (b - a) * self.epoch_length, self.height)
