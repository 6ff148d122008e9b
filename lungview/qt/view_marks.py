"""What the slice view draws on top of the image: reference lines, finding boxes and a measurement shape.

Each painter takes the view's ``image_to_view`` mapping, so every mark stays registered at every zoom and pan.
"""

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF

from lungview.planes.boxes import PlaneBox
from lungview.planes.measure import Shape

ToView = Callable[[float, float], QPointF]

CROSSHAIR_COLOUR = QColor(0, 200, 255, 170)
FINDING_COLOUR = QColor(255, 60, 60)
SHAPE_COLOUR = QColor(255, 210, 0)


def paint_crosshair(painter: QPainter, to_view: ToView, point: tuple[float, float], image_rect: QRectF) -> None:
    """A horizontal and a vertical reference line through image point ``point`` (row, col), across the image."""
    centre = to_view(*point)
    painter.setPen(QPen(CROSSHAIR_COLOUR, 1.0))
    painter.drawLine(QPointF(image_rect.left(), centre.y()), QPointF(image_rect.right(), centre.y()))
    painter.drawLine(QPointF(centre.x(), image_rect.top()), QPointF(centre.x(), image_rect.bottom()))


def paint_boxes(painter: QPainter, to_view: ToView, boxes: list[PlaneBox]) -> list[tuple[QRectF, str]]:
    """Draw each finding's outline, else its box (solid when cut, dashed when projected); return where each label
    goes and its text."""
    labels = []
    for box in boxes:
        rect = QRectF(to_view(box.top, box.left), to_view(box.bottom, box.right))
        pen = QPen(FINDING_COLOUR, 2.0 if box.cut else 1.2)
        pen.setStyle(Qt.PenStyle.SolidLine if box.cut else Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if box.outline:
            for polygon in box.outline:
                painter.drawPolygon(QPolygonF([to_view(row, col) for row, col in polygon]))
        else:
            painter.drawRect(rect)
        labels.append((QRectF(rect.left(), rect.top() - 18, 120, 16), box.label))
    return labels


def paint_shape(painter: QPainter, to_view: ToView, shape: Shape) -> QPointF:
    """Draw a ruler or a region; return the view point its label is written beside."""
    painter.setPen(QPen(SHAPE_COLOUR, 1.5))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    points = [to_view(row, col) for row, col in shape.points]
    if shape.kind == "ruler":
        painter.drawLine(points[0], points[-1])
        for point in (points[0], points[-1]):
            painter.drawEllipse(point, 3, 3)
        return points[-1]
    if shape.kind == "polygon":
        path = QPainterPath()
        path.addPolygon(QPolygonF(points))
        path.closeSubpath()
        painter.drawPath(path)
        return max(points, key=lambda point: point.x())
    rect = QRectF(points[0], points[-1]).normalized()
    if shape.kind == "ellipse":
        painter.drawEllipse(rect)
    else:
        painter.drawRect(rect)
    return rect.bottomRight()
