"""The per-slice cancer-probability strip drawn above the slice slider after "Analyse series"."""

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QStyle, QStyleOptionSlider, QWidget

ABOVE_COLOUR = QColor(220, 60, 40)
BELOW_COLOUR = QColor(90, 140, 200)
#: The line above the bars that marks the slices a finding spans.
FINDING_COLOUR = QColor(255, 170, 0)


class ProbabilityStrip(QWidget):
    """One bar per slice, as tall as its cancer probability, red at or above the threshold; click to go there.

    Signals
    -------
    slice_clicked(int)
        The user clicked the bar of a slice.
    """

    slice_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._probabilities = np.zeros(0, np.float32)
        self._threshold = 0.5
        self._current = -1
        self._findings: list[tuple[int, ...]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "Cancer probability per slice (red: at or above the model's threshold; orange line: the slices a finding "
            "spans). Click to go there."
        )
        self.hide()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, 28)

    def set_probabilities(self, probabilities: np.ndarray | None, threshold: float = 0.5) -> None:
        """Show one bar per slice (NaN: not scored); None hides the strip."""
        shown = np.zeros(0) if probabilities is None else probabilities
        self._probabilities = np.asarray(shown, np.float32)
        self._threshold = threshold
        self.setVisible(probabilities is not None)
        self.update()

    def set_findings(self, findings) -> None:
        """Mark the slices each finding spans (a sequence of slice-index tuples) under the bars."""
        self._findings = [tuple(indices) for indices in findings]
        self.update()

    def set_current(self, index: int) -> None:
        """Mark slice ``index`` as the one on screen."""
        self._current = index
        self.update()

    def probabilities(self) -> np.ndarray:
        return self._probabilities.copy()

    def _groove(self) -> QRectF:
        """The span the slider's handle centre travels, so bar ``i`` sits above slider value ``i``."""
        option = QStyleOptionSlider()
        option.orientation = Qt.Orientation.Horizontal
        option.rect = self.rect()
        handle = self.style().pixelMetric(QStyle.PixelMetric.PM_SliderLength, option, self)
        margin = max(handle / 2, 1.0)
        return QRectF(margin, 0, max(self.width() - 2 * margin, 1.0), self.height())

    def slice_at(self, x: float) -> int:
        """The slice whose bar is at widget x-coordinate ``x`` (clamped), or -1 without slices."""
        count = len(self._probabilities)
        if count == 0:
            return -1
        groove = self._groove()
        if count == 1:
            return 0
        return int(min(max(round((x - groove.left()) / groove.width() * (count - 1)), 0), count - 1))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 30))
        count = len(self._probabilities)
        if count:
            groove = self._groove()
            step = groove.width() / max(count - 1, 1)
            width = max(step * 0.8, 1.0)
            height = self.height() - 2
            for index, value in enumerate(self._probabilities):
                if math.isnan(value):
                    continue
                centre = groove.left() + index * step if count > 1 else groove.center().x()
                bar_height = max(1.0, float(value) * height)
                colour = ABOVE_COLOUR if value >= self._threshold else BELOW_COLOUR
                painter.fillRect(QRectF(centre - width / 2, self.height() - 1 - bar_height, width, bar_height), colour)
            painter.setPen(QPen(FINDING_COLOUR, 3))
            for indices in self._findings:
                x0 = groove.left() + indices[0] * step - width / 2
                x1 = groove.left() + indices[-1] * step + width / 2
                painter.drawLine(QPointF(x0, 1.5), QPointF(x1, 1.5))
            threshold_y = self.height() - 1 - self._threshold * height
            painter.setPen(QPen(QColor(255, 255, 255, 120), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(0, threshold_y), QPointF(self.width(), threshold_y))
            if 0 <= self._current < count:
                x = groove.left() + self._current * step if count > 1 else groove.center().x()
                painter.setPen(QPen(QColor(255, 220, 0), 2))
                painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        index = self.slice_at(event.position().x())
        if index >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.slice_clicked.emit(index)
            event.accept()
            return
        super().mousePressEvent(event)
