"""Dock contents: the video frame at the recording's current time, where that is in the
video and the recording, the play button and speed, the offset, and which file is attached.

A widget only: it shows what VideoSync (video_sync.py) hands it and says what the user did
through signals; it knows nothing of files, decoding or the recording.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from sleepscorer.gui.elided_text import ElidedLabel

SPEEDS = {"1x": 1.0, "2x": 2.0, "4x": 4.0}
NO_VIDEO = "No video attached.\nFile > Open video..., or drop a video file on the window."
MAX_OFFSET_S = 7 * 24 * 3600.0


class FrameView(QWidget):
    """One frame scaled to fit with its aspect kept, on black; a message in its place when
    there is no frame to show."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.text = NO_VIDEO

    def show_image(self, pixels: np.ndarray) -> None:
        height, width = pixels.shape[:2]
        pixels = np.ascontiguousarray(pixels)
        self.image = QImage(pixels.data, width, height, 3 * width,
                            QImage.Format.Format_RGB888).copy()  # owns its pixels
        self.text = ""
        self.update()

    def show_text(self, text: str) -> None:
        self.image, self.text = None, text
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(24, 24, 24))
        if self.image is not None:
            scale = min(self.width() / self.image.width(), self.height() / self.image.height())
            w, h = self.image.width() * scale, self.image.height() * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self.image)
        else:
            painter.setPen(QColor(210, 210, 210))
            painter.drawText(self.rect().adjusted(8, 8, -8, -8),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.text)
        painter.end()


class VideoPanel(QWidget):
    playToggled = Signal()  # noqa: N815
    speedChanged = Signal(float)  # noqa: N815
    offsetChanged = Signal(float)  # noqa: N815  seconds: video time = recording time + offset
    openRequested = Signal()  # noqa: N815
    detachRequested = Signal()  # noqa: N815
    editingDone = Signal()  # noqa: N815  the offset box is left: keys go back to the window

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.frame = FrameView()
        layout.addWidget(self.frame, 1)
        self.times = QLabel("")  # video time and recording time, or why there is no frame
        self.times.setWordWrap(True)
        layout.addWidget(self.times)
        controls = QHBoxLayout()
        self.play = QPushButton("Play")
        self.play.setToolTip("play / pause at the chosen speed (Space)")
        self.play.clicked.connect(self.playToggled.emit)
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.currentTextChanged.connect(lambda text: self.speedChanged.emit(SPEEDS[text]))
        self.offset = QDoubleSpinBox()
        self.offset.setRange(-MAX_OFFSET_S, MAX_OFFSET_S)
        self.offset.setDecimals(2)
        self.offset.setSingleStep(0.1)
        self.offset.setSuffix(" s")
        self.offset.setKeyboardTracking(False)  # one change per edit, not per digit typed
        self.offset.setToolTip("video time = recording time + offset")
        self.offset.valueChanged.connect(self.offsetChanged.emit)
        self.offset.editingFinished.connect(self.editingDone.emit)
        for widget in (self.play, self.speed):  # stage keys and Space stay the window's
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        controls.addWidget(self.play)
        controls.addWidget(self.speed)
        controls.addStretch(1)
        controls.addWidget(QLabel("offset"))
        controls.addWidget(self.offset)
        layout.addLayout(controls)
        files = QHBoxLayout()
        self.name = ElidedLabel("")
        files.addWidget(self.name, 1)
        for text, signal in (("Open...", self.openRequested), ("Detach", self.detachRequested)):
            button = QPushButton(text)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(signal.emit)
            files.addWidget(button)
            self.detach = button
        layout.addLayout(files)
        self.set_attached(None)

    def set_attached(self, name: str | None, tip: str = "") -> None:
        """`name`: the attached file's, or None; controls that need a video follow."""
        self.name.setText(f"video: {name}" if name else "no video")
        self.name.setToolTip(tip)
        for widget in (self.play, self.speed, self.offset, self.detach):
            widget.setEnabled(name is not None)
        if name is None:
            self.frame.show_text(NO_VIDEO)
            self.times.setText("")
            self.set_playing(False)

    def set_offset(self, seconds: float) -> None:
        """Show an offset without telling it back as a change."""
        self.offset.blockSignals(True)
        self.offset.setValue(seconds)
        self.offset.blockSignals(False)

    def set_playing(self, playing: bool) -> None:
        self.play.setText("Pause" if playing else "Play")
