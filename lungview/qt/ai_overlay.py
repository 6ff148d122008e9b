"""The Grad-CAM overlay as the slice view draws it, and its colour legend.

The colours and the opacity are those of the exported reports (:func:`lungview.reports.overlay.colour_heatmap`,
OpenCV's JET map; :func:`~lungview.reports.overlay.attention_alpha`: the lowest attention is transparent), so the
legend, the screen and a report all read the same way. The overlay belongs to the axial slice it was computed on.
"""

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from lungview.qt.qimages import rgba_qimage
from lungview.reports.overlay import attention_alpha, colour_heatmap, legend_text

ATTENTION_LABEL = "model attention on this axial slice only — not lesion location"


def heatmap_rgba(heatmap: np.ndarray, opacity: float) -> np.ndarray:
    """RGBA uint8 ``[rows, columns, 4]`` of a [0, 1] heatmap at up to ``opacity``; low attention is transparent."""
    rgb = colour_heatmap(heatmap)
    alpha = np.round(255 * attention_alpha(heatmap, opacity)).astype(np.uint8)[..., None]
    return np.concatenate([rgb, alpha], axis=2)


class ColourLegend(QWidget):
    """A horizontal colour bar from "low" to "high" attention, drawn over grey with the overlay's own opacity."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ramp = np.linspace(0.0, 1.0, 256, dtype=np.float32)[None, :]
        self._bar = rgba_qimage(heatmap_rgba(ramp, 1.0))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            f"Colour of the model's attention: blue low, red high; {legend_text()} (the slice shows through). "
            + ATTENTION_LABEL
        )

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(180, self.fontMetrics().height() * 2 + 8)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        text_height = self.fontMetrics().height()
        bar = QRectF(0, 0, self.width(), self.height() - text_height - 2)
        painter.fillRect(bar, Qt.GlobalColor.gray)  # the transparent end shows as the grey below it
        painter.drawImage(bar, self._bar)
        below = QRectF(0, bar.bottom() + 2, self.width(), text_height)
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, f"low: {legend_text()}")
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, "high attention")
        painter.end()
