"""The text a slice view writes over the image: the four corner blocks, the patient-direction letters on the image
edges, the overlay's caption and a centred message, all white with a dark outline.

Each painter takes the rectangles it may use, so the view decides where text goes and the painters only draw.
"""

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
CORNER_MARGIN = 8
"""Logical pixels between the corner texts and the view's edges."""
_ALIGN = Qt.AlignmentFlag
CORNER_FLAGS = {
    "top_left": _ALIGN.AlignTop | _ALIGN.AlignLeft,
    "top_right": _ALIGN.AlignTop | _ALIGN.AlignRight,
    "bottom_left": _ALIGN.AlignBottom | _ALIGN.AlignLeft,
    "bottom_right": _ALIGN.AlignBottom | _ALIGN.AlignRight,
}


def overlay_font(base: QFont) -> QFont:
    """The font of every text over the image: ``base`` as a monospace face of at least 10 points."""
    font = QFont(base)
    font.setPointSizeF(max(base.pointSizeF(), 10.0))
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def paint_outlined(painter: QPainter, rect: QRectF, flags: Qt.AlignmentFlag, text: str) -> None:
    """White text with a dark outline: readable on lung (dark) and bone (bright) alike."""
    painter.setPen(QColor(0, 0, 0, 220))
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        painter.drawText(rect.translated(dx, dy), flags, text)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(rect, flags, text)


def paint_corner_text(painter: QPainter, view_rect: QRectF, corner_text: dict[str, list[str]]) -> None:
    """Each corner's lines in its corner of ``view_rect`` (in the painter's font)."""
    area = view_rect.adjusted(CORNER_MARGIN, CORNER_MARGIN, -CORNER_MARGIN, -CORNER_MARGIN)
    for corner, lines in corner_text.items():
        if lines:
            paint_outlined(painter, area, CORNER_FLAGS[corner], "\n".join(lines))


def paint_edge_labels(painter: QPainter, font: QFont, area: QRectF, labels: dict[str, str]) -> None:
    """Patient-direction letters (bold) centred on the ``left``, ``right``, ``top`` and ``bottom`` edges of ``area``."""
    font = QFont(font)
    font.setBold(True)
    painter.setFont(font)
    size = QFontMetricsF(font).height() * 1.5
    centre = area.center()
    boxes = {
        "left": QRectF(area.left(), centre.y() - size / 2, size, size),
        "right": QRectF(area.right() - size, centre.y() - size / 2, size, size),
        "top": QRectF(centre.x() - size / 2, area.top(), size, size),
        "bottom": QRectF(centre.x() - size / 2, area.bottom() - size, size, size),
    }
    for edge, label in labels.items():
        if label and edge in boxes:
            paint_outlined(painter, boxes[edge], Qt.AlignmentFlag.AlignCenter, label)


def paint_overlay_label(painter: QPainter, font: QFont, view_rect: QRectF, label: str) -> None:
    """What the overlay means, at the bottom centre above the bottom edge letter, in the middle half of the width
    so it never runs into the corner text."""
    above_edge_letter = 8 + QFontMetricsF(font).height() * 1.5
    quarter = view_rect.width() / 4
    label_area = view_rect.adjusted(quarter, 0, -quarter, -above_edge_letter)
    painter.setFont(font)
    flags = Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap
    paint_outlined(painter, label_area, flags, label)


def paint_message(painter: QPainter, view_rect: QRectF, text: str) -> None:
    """A centred, word-wrapped message (loading, a decode failure)."""
    area = view_rect.adjusted(16, 0, -16, 0)
    paint_outlined(painter, area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
