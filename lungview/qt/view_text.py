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
    """The lines a corner shows (shortened to fit where needed), where each is drawn, and the rectangle of all."""

    lines: tuple[str, ...]
    line_rects: tuple[QRectF, ...]

    @property
    def rect(self) -> QRectF:
        """The rectangle the block's lines fill (empty when it shows none)."""
        rect = QRectF()
        for line_rect in self.line_rects:
            rect = rect.united(line_rect)
        return rect


DROP_ORDER = ("bottom_right", "top_right", "bottom_left", "top_left")
"""Which corner gives up its last line first when two blocks would meet: the version, then the series lines (from
the thickness up), then the zoom, and the patient's identity last."""


def layout_corners(
    view_rect: QRectF,
    metrics: QFontMetricsF,
    corner_text: dict[str, list[str]],
    keep_out: tuple[QRectF, ...] = (),
) -> dict[str, CornerBlock]:
    """Place each corner's lines so that no two corner blocks overlap, at any view size.

    The two blocks of an edge stand side by side where they fit with a gap between them; otherwise the right one
    moves below the left one at the top (above it at the bottom), and a line longer than the view is shortened
    with "…". Where a top and a bottom block would then meet, the block first in :data:`DROP_ORDER` drops its
    last line until they do not; a block may lose every line in a tiny view.

    ``keep_out`` are boxes (the edge letters at the top and bottom centre) that a line in their rows stays beside,
    unless that would leave it less than a third of the view's width.
    """
    area = view_rect.adjusted(CORNER_MARGIN, CORNER_MARGIN, -CORNER_MARGIN, -CORNER_MARGIN)
    kept = {corner: list(corner_text.get(corner, [])) for corner in CORNERS}
    while True:
        blocks = {corner: _place(corner, area, metrics, kept, keep_out) for corner in CORNERS}
        clash = next(
            ((top, bottom) for top in CORNERS[:2] for bottom in CORNERS[2:] if _meet(blocks[top], blocks[bottom])),
            None,
        )
        if clash is None:
            return blocks
        loser = min(clash, key=DROP_ORDER.index)
        kept[loser].pop()


def _meet(one: CornerBlock, other: CornerBlock) -> bool:
    """True when both blocks show lines and their rectangles, with a gap between them, overlap."""
    if not one.lines or not other.lines:
        return False
    return one.rect.adjusted(0, 0, 0, CORNER_GAP).intersects(other.rect)


def _place(
    corner: str, area: QRectF, metrics: QFontMetricsF, kept: dict[str, list[str]], keep_out: tuple[QRectF, ...]
) -> CornerBlock:
    """Where ``corner``'s lines go: beside its neighbour on the same edge where both fit, else below (top edge) or
    above (bottom edge) the left block."""
    top, left = corner.startswith("top"), corner.endswith("left")
    edge = "top" if top else "bottom"
    widths = [_natural_width(metrics, kept[f"{edge}_{side}"]) for side in ("left", "right")]
    beside = sum(widths) + CORNER_GAP <= area.width()
    rows_before = 0 if left or beside else len(kept[f"{edge}_left"])
    line_height = text_line_height(metrics)
    lines, rects = [], []
    count = len(kept[corner])
    for number, text in enumerate(kept[corner]):
        row = rows_before + (number if top else count - 1 - number)
        y = area.top() + row * line_height if top else area.bottom() - metrics.height() - row * line_height
        row_rect = QRectF(area.left(), y, area.width(), metrics.height())
        limit = _room(row_rect, left, [box for box in keep_out if box.intersects(row_rect)])
        line = metrics.elidedText(text, Qt.TextElideMode.ElideRight, limit)
        width = metrics.horizontalAdvance(line)
        lines.append(line)
        rects.append(QRectF(area.left() if left else area.right() - width, y, width, metrics.height()))
    return CornerBlock(tuple(lines), tuple(rects))


def _room(row: QRectF, left: bool, boxes: list[QRectF]) -> float:
    """The width a line of ``row`` may take from its side: the row, or up to a gap before each box in it."""
    room = row.width()
    for box in boxes:
        beside = box.left() - LETTER_GAP - row.left() if left else row.right() - box.right() - LETTER_GAP
        if beside >= row.width() / 3:
            room = min(room, beside)
    return room


def _natural_width(metrics: QFontMetricsF, lines: list[str]) -> float:
    return max((metrics.horizontalAdvance(line) for line in lines), default=0.0)


def text_line_height(metrics: QFontMetricsF) -> float:
    """The distance between two lines of text, whole pixels as Qt lays out multi-line text."""
    return float(math.ceil(metrics.lineSpacing()))


def paint_corner_text(painter: QPainter, blocks: dict[str, CornerBlock]) -> None:
    """Each corner block's lines where :func:`layout_corners` put them (in the painter's font)."""
    for corner, block in blocks.items():
        align = _ALIGN.AlignTop | (_ALIGN.AlignLeft if corner.endswith("left") else _ALIGN.AlignRight)
        for line, rect in zip(block.lines, block.line_rects):
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
