"""Text too long for its widget ends in "…" and is shown whole in a tooltip.

Qt clips a label, a status-bar message or a combo box's text mid-word with no sign that
anything is missing (a user trial read "mixture sc" for a model name). These widgets elide
with QFontMetrics.elidedText instead. Only how text is drawn changes: `text()` and
`currentMessage()` still give the whole text. Knows nothing of what the text says.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QSizeGrip,
    QStatusBar,
    QStyle,
    QStyleOption,
    QStyleOptionComboBox,
    QStylePainter,
)

ELIDE_MIN_WIDTH = 80  # px: a label may shrink this far before it is hidden altogether


def elided(widget, text: str, width: int,
           mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> str:
    return widget.fontMetrics().elidedText(text, mode, max(0, width))


def elided_middle(font: QFont, text: str, width: int) -> str:
    """`text` cut in its middle to fit `width` px in `font`, for names whose start and end
    both matter ("b_a_se…_labels.csv"); for text drawn by a graphics item, not a widget."""
    return QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideMiddle, max(0, width))


class ElidedLabel(QLabel):
    """A one-line label that elides (at the end, or where `mode` says: in the middle for a
    name whose end tells it apart). Its tooltip is the whole text when cut, followed by
    whatever tooltip the caller set (notes of the scoring, for the model readout)."""

    def __init__(self, text: str = "", parent=None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight):
        self.mode = mode
        super().__init__(text, parent)
        self._caller_tip = ""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        super().setText(text)
        self._show_tip()

    def setToolTip(self, tip: str) -> None:  # noqa: N802
        self._caller_tip = tip
        self._show_tip()

    def is_elided(self) -> bool:
        width = self.contentsRect().width()
        return self.fontMetrics().horizontalAdvance(self.text()) > width

    def _show_tip(self) -> None:
        whole = self.text() if self.is_elided() else ""
        super().setToolTip("\n".join(t for t in (whole, self._caller_tip) if t))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """Narrow: the status bar may give it less than the whole text and it elides."""
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), ELIDE_MIN_WIDTH), hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._show_tip()

    def shown_text(self) -> str:
        """The text as drawn, cut to the label's width."""
        return elided(self, self.text(), self.contentsRect().width(), self.mode)

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()),
                                  self.palette(), self.isEnabled(), self.shown_text(),
                                  self.foregroundRole())


class ElidingStatusBar(QStatusBar):
    """A status bar whose passing message elides before the permanent widgets instead of
    being cut under them; the whole message is its tooltip. `permanent`: widgets shown at
    the right at all times, left to right."""

    def __init__(self, parent=None, permanent=()):
        super().__init__(parent)
        self._permanent: list = []  # Qt does not list them
        for widget in permanent:
            self.addPermanentWidget(widget)
        self.messageChanged.connect(lambda _text: self._show_tip())

    def message_width(self) -> int:
        """The width Qt gives a message: from the left edge to the first permanent widget
        shown (QStatusBarPrivate::messageRect)."""
        right = self.width() - 12
        grip = self.findChild(QSizeGrip)
        if grip is not None and grip.isVisible():
            right = grip.x()
        shown = [w for w in self._permanent if w.isVisible()]
        if shown:
            right = min(w.x() for w in shown) - 4
        return right - 6

    def is_elided(self) -> bool:
        text = self.currentMessage()
        return bool(text) and self.fontMetrics().horizontalAdvance(text) > self.message_width()

    def addPermanentWidget(self, widget, stretch: int = 0) -> None:  # noqa: N802
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def _show_tip(self) -> None:
        self.setToolTip(self.currentMessage() if self.is_elided() else "")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._show_tip()

    def paintEvent(self, event) -> None:  # noqa: N802
        """QStatusBar::paintEvent, with the message elided."""
        text = self.currentMessage()
        if not text:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter,
                                   self)
        for widget in self._permanent:
            if widget.isVisible():
                frame = QStyleOption()
                frame.rect = widget.geometry().adjusted(-2, -1, 2, 1)
                frame.palette = self.palette()
                frame.state = QStyle.StateFlag.State_None
                self.style().drawPrimitive(QStyle.PrimitiveElement.PE_FrameStatusBarItem, frame,
                                           painter, widget)
        painter.setPen(self.palette().windowText().color())
        width = self.message_width()
        painter.drawText(6, 0, width, self.height(),
                         Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter
                         | Qt.TextFlag.TextSingleLine, elided(self, text, width))


class _ComboElider(QObject):
    """Paints a combo box as QComboBox::paintEvent does, with its current text elided."""

    def __init__(self, parent, mode: Qt.TextElideMode):
        super().__init__(parent)
        self.mode = mode

    def _option(self, combo) -> QStyleOptionComboBox:
        option = QStyleOptionComboBox()
        combo.initStyleOption(option)
        return option

    def shown_text(self, combo) -> str:
        """The current item's text as drawn, cut to the combo's text field."""
        option = self._option(combo)
        field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                             QStyle.SubControl.SC_ComboBoxEditField, combo)
        return elided(combo, option.currentText, field.width(), self.mode)

    def eventFilter(self, combo, event) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.Paint:
            return False
        painter = QStylePainter(combo)
        option = self._option(combo)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.shown_text(combo)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
        return True


def elide_combo_text(combo: QComboBox,
                     mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
    """`combo` shows a long item cut with "…" (at the end, or where `mode` says), and the
    whole item as its tooltip."""
    combo.elider = _ComboElider(combo, mode)  # its shown_text is what the combo draws
    combo.installEventFilter(combo.elider)
    combo.currentTextChanged.connect(combo.setToolTip)
    combo.setToolTip(combo.currentText())
