"""The Grad-CAM overlay as the slice view draws it, and its colour legend.

The colours are those of the exported reports (:func:`lungview.reports.overlay.colour_heatmap`, OpenCV's JET map),
laid over the slice with one uniform opacity, so the legend, the screen and a report all read the same way.
"""

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from lungview.reports.overlay import colour_heatmap

ATTENTION_LABEL = "model attention — not lesion location"


def heatmap_rgba(heatmap: np.ndarray, opacity: float) -> np.ndarray:
    """RGBA uint8 ``[rows, columns, 4]`` of a [0, 1] heatmap at ``opacity`` (0 transparent, 1 opaque)."""
    rgb = colour_heatmap(heatmap)
    alpha = np.full(rgb.shape[:2] + (1,), round(255 * min(max(opacity, 0.0), 1.0)), np.uint8)
    return np.concatenate([rgb, alpha], axis=2)


class ColourLegend(QWidget):
    """A horizontal colour bar from "low" to "high" attention."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ramp = np.linspace(0.0, 1.0, 256, dtype=np.float32)[None, :]
        rgb = np.ascontiguousarray(colour_heatmap(ramp))
        self._bar = QImage(rgb.data, 256, 1, 3 * 256, QImage.Format.Format_RGB888).copy()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Colour of the model's attention: blue low, red high. " + ATTENTION_LABEL)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(180, self.fontMetrics().height() * 2 + 8)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        text_height = self.fontMetrics().height()
        bar = QRectF(0, 0, self.width(), self.height() - text_height - 2)
        painter.drawImage(bar, self._bar)
        below = QRectF(0, bar.bottom() + 2, self.width(), text_height)
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, "low")
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, "high attention")
        painter.end()
