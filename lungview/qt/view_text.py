"""The text a slice view writes over the image: the four corner blocks, the patient-direction letters on the image
edges, the overlay's caption and a centred message, all white with a dark outline.

:func:`layout_corners` decides where the corner blocks go and what they keep, so that they never overlap; the
painters only draw.
"""

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
CORNER_MARGIN = 8
"""Logical pixels between the corner texts and the view's edges."""
CORNER_GAP = 12
"""Logical pixels kept free between two corner blocks."""
LETTER_GAP = 4
"""Logical pixels kept free between a corner block and an edge letter in its rows."""
_ALIGN = Qt.AlignmentFlag


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


@dataclass(frozen=True)
class CornerBlock:
    """The lines a corner shows (elided to fit) and the rectangle they fill."""

    lines: tuple[str, ...]
    rect: QRectF


def layout_corners(
    view_rect: QRectF,
    metrics: QFontMetricsF,
    corner_text: dict[str, list[str]],
    keep_out: tuple[QRectF, ...] = (),
) -> dict[str, CornerBlock]:
    """Place each corner's lines so that no two corner blocks overlap, at any view size.

    The two blocks of the top (and of the bottom) edge share its width: where they do not fit side by side, the
    wider gives way first and its lines are shortened with "…". Where a top and a bottom block would then meet,
    the one with more lines (the bottom one on a tie) drops its last line, which is its least important (birth
    date, thickness, zoom, the version) until they do not; a block may lose every line in a tiny view.

    ``keep_out`` are boxes the blocks stay beside where they share their rows (the edge letters at the top and
    bottom centre), unless that would leave a block less than a third of the view's width.
    """
    area = view_rect.adjusted(CORNER_MARGIN, CORNER_MARGIN, -CORNER_MARGIN, -CORNER_MARGIN)
    kept = {corner: list(corner_text.get(corner, [])) for corner in CORNERS}
    while True:
        blocks = _place(area, metrics, kept, keep_out)
        clash = next(
            ((top, bottom) for top in CORNERS[:2] for bottom in CORNERS[2:] if _meet(blocks[top], blocks[bottom])),
            None,
        )
        if clash is None:
            return blocks
        top, bottom = clash
        loser = top if len(kept[top]) > len(kept[bottom]) else bottom
        kept[loser].pop()


def _meet(one: CornerBlock, other: CornerBlock) -> bool:
    """True when both blocks show lines and their rectangles, with a gap between them, overlap."""
    if not one.lines or not other.lines:
        return False
    return one.rect.adjusted(0, 0, 0, CORNER_GAP).intersects(other.rect)


def _place(
    area: QRectF, metrics: QFontMetricsF, kept: dict[str, list[str]], keep_out: tuple[QRectF, ...]
) -> dict[str, CornerBlock]:
    blocks = {}
    line_height = text_line_height(metrics)
    for left, right in (("top_left", "top_right"), ("bottom_left", "bottom_right")):
        widths = _share_width(area.width(), *(_natural_width(metrics, kept[corner]) for corner in (left, right)))
        rows = max(len(kept[left]), len(kept[right]))
        band_height = line_height * rows + CORNER_GAP
        band = QRectF(area.left(), area.top() if left.startswith("top") else area.bottom() - band_height,
                      area.width(), band_height)
        widths = _beside(band, widths, [box for box in keep_out if rows and box.intersects(band)])
        for corner, width in zip((left, right), widths):
            lines = tuple(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in kept[corner])
            width = max((metrics.horizontalAdvance(line) for line in lines), default=0.0)
            height = line_height * (len(lines) - 1) + metrics.height() if lines else 0.0
            x = area.left() if corner.endswith("left") else area.right() - width
            y = area.top() if corner.startswith("top") else area.bottom() - height
            blocks[corner] = CornerBlock(lines, QRectF(x, y, width, height))
    return blocks


def _beside(band: QRectF, widths: tuple[float, float], boxes: list[QRectF]) -> tuple[float, float]:
    """Narrow the left and right block of ``band`` so that they end a gap before each box in their rows."""
    left, right = widths
    floor = band.width() / 3
    for box in boxes:
        left_room = box.left() - LETTER_GAP - band.left()
        right_room = band.right() - box.right() - LETTER_GAP
        left = min(left, left_room) if left_room >= floor else left
        right = min(right, right_room) if right_room >= floor else right
    return left, right


def text_line_height(metrics: QFontMetricsF) -> float:
    """The distance between two lines of text, whole pixels as Qt lays out multi-line text."""
    return float(math.ceil(metrics.lineSpacing()))


def _natural_width(metrics: QFontMetricsF, lines: list[str]) -> float:
    return max((metrics.horizontalAdvance(line) for line in lines), default=0.0)


def _share_width(total: float, left: float, right: float) -> tuple[float, float]:
    """The widths two blocks on one edge may take: as they are where they fit with a gap between them, else the
    narrower keeps its width (up to half) and the wider takes the rest."""
    room = max(0.0, total - CORNER_GAP)
    if left + right <= room:
        return left, right
    half = room / 2
    if left <= half:
        return left, room - left
    if right <= half:
        return room - right, right
    return half, half


def paint_corner_text(painter: QPainter, blocks: dict[str, CornerBlock]) -> None:
    """Each corner block's lines, one per line height, aligned to its corner (in the painter's font)."""
    line_height = text_line_height(QFontMetricsF(painter.font()))
    for corner, block in blocks.items():
        align = _ALIGN.AlignTop | (_ALIGN.AlignLeft if corner.endswith("left") else _ALIGN.AlignRight)
        for number, line in enumerate(block.lines):
            rect = QRectF(block.rect.left(), block.rect.top() + number * line_height, block.rect.width(), line_height)
            paint_outlined(painter, rect, align, line)


def edge_label_font(font: QFont) -> QFont:
    """The bold face of the edge letters."""
    font = QFont(font)
    font.setBold(True)
    return font


def edge_label_boxes(font: QFont, area: QRectF) -> dict[str, QRectF]:
    """Where the ``left``, ``right``, ``top`` and ``bottom`` edge letters of ``area`` (the image on screen) go."""
    size = QFontMetricsF(edge_label_font(font)).height() * 1.5
    centre = area.center()
    return {
        "left": QRectF(area.left(), centre.y() - size / 2, size, size),
        "right": QRectF(area.right() - size, centre.y() - size / 2, size, size),
        "top": QRectF(centre.x() - size / 2, area.top(), size, size),
        "bottom": QRectF(centre.x() - size / 2, area.bottom() - size, size, size),
    }


def paint_edge_labels(painter: QPainter, font: QFont, area: QRectF, labels: dict[str, str]) -> None:
    """Patient-direction letters (bold) centred on the ``left``, ``right``, ``top`` and ``bottom`` edges of ``area``."""
    painter.setFont(edge_label_font(font))
    boxes = edge_label_boxes(font, area)
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
