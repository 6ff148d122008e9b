"""The slice view: one 2-D image with zoom, pan, window drag, a ruler or ROI, reference lines, finding boxes,
corner text and a registered overlay. It shows axial slices and reformatted coronal or sagittal planes alike.

Geometry: a slice pixel ``(row, col)`` covers ``[col, col + 1) x [row, row + 1)`` in continuous image
coordinates. The view draws that rectangle at ``origin + (col * scale, row * scale * aspect)`` logical pixels,
where ``aspect = row spacing / column spacing`` so non-square pixels keep their true shape. Everything drawn on the
slice (the image, an overlay such as a Grad-CAM map, the ruler) goes through :meth:`SliceView.image_to_view`, so
it stays registered at every zoom and pan. Rows and columns are shown as stored: for a standard axial CT the
patient's right is on the image's left and anterior is up.
"""

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from lungview.planes.boxes import PlaneBox
from lungview.planes.measure import SHAPE_KINDS, Shape, ruler_length
from lungview.qt.qimages import grey_qimage, rgba_qimage
from lungview.qt.view_marks import paint_boxes, paint_crosshair, paint_shape
from lungview.qt.view_text import (
    CORNERS,
    CornerBlock,
    edge_label_boxes,
    layout_corners,
    overlay_font,
    paint_corner_text,
    paint_edge_labels,
    paint_message,
    paint_outlined,
    paint_overlay_label,
)
from lungview.windowing import Window, apply_window

ZOOM_STEP = 1.15
MIN_SCALE, MAX_SCALE = 0.05, 64.0
WINDOW_DRAG_PIXELS = 256
"""A right-drag across this many pixels changes the window by its own width (scale-free, works for HU and grey)."""
FREEHAND_STEP_PIXELS = 3.0
"""A freehand polygon takes a new vertex once the cursor has moved this many logical pixels."""


class SliceView(QWidget):
    """Shows one slice. ``set_*`` methods in; signals out.

    Signals
    -------
    slice_step_requested(int)
        The wheel asked for the next (+1) or previous (-1) slice.
    window_changed(object)
        A right-drag changed the display :class:`~lungview.windowing.Window`.
    view_changed()
        Zoom or pan changed.
    hovered(int, int)
        The slice pixel (row, col) under the cursor; (-1, -1) off the image.
    measured(float)
        A ruler was drawn; its length in mm (in pixels where the spacing is unknown).
    shape_drawn(object)
        A ruler or region (:class:`~lungview.planes.measure.Shape`) was drawn with the left button.
    point_selected(float, float)
        With no drawing tool on, a left click or drag chose this image point (row, col): the crosshair.
    """

    slice_step_requested = Signal(int)
    window_changed = Signal(object)
    view_changed = Signal()
    hovered = Signal(int, int)
    measured = Signal(float)
    shape_drawn = Signal(object)
    point_selected = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(False)  # the main window takes drops
        self._image: np.ndarray | None = None
        self._pixel_spacing: tuple[float, float] | None = None
        self._window = Window(-600, 1500)
        self._qimage: QImage | None = None
        self._overlay: QImage | None = None
        self._overlay_label = ""
        self._corner_text: dict[str, list[str]] = {corner: [] for corner in CORNERS}
        self._edge_labels: dict[str, str] = {}
        self._message = ""
        self._scale = 1.0
        self._origin = QPointF(0, 0)
        self._fit_mode = True
        self._tool = ""
        """The drawing tool of the left button (one of :data:`~lungview.planes.measure.SHAPE_KINDS`), "" for none."""
        self._shape: Shape | None = None
        self._shape_label = ""
        self._crosshair: tuple[float, float] | None = None
        self._boxes: list[PlaneBox] = []
        self._drag_button: Qt.MouseButton | None = None
        self._drag_kind = ""
        self._drag_last = QPointF()
        self._space_held = False
        self._wheel_remainder = 0

    # ----------------------------------------------------------------- inputs
    def set_image(self, image: np.ndarray | None, pixel_spacing: tuple[float, float] | None = None) -> None:
        """Show ``image`` (2-D, HU or grey); a new shape or spacing refits the view."""
        old_shape = None if self._image is None else self._image.shape
        self._image = image
        spacing_changed = pixel_spacing != self._pixel_spacing
        self._pixel_spacing = pixel_spacing
        self._render()
        if image is not None and (image.shape != old_shape or spacing_changed):
            self._fit_mode = True
            self._shape = None
            self._fit()
        self.update()

    def set_window(self, window: Window) -> None:
        """Display the slice through ``window``."""
        if window == self._window:
            return
        self._window = window
        self._render()
        self.update()

    def set_overlay(self, rgba: np.ndarray | None, label: str = "") -> None:
        """Draw ``rgba`` (H x W x 4 uint8, any resolution) stretched over the slice's extent; None removes it.

        ``label`` is written at the top centre of the view while the overlay shows (what the overlay means).
        """
        self._overlay = None if rgba is None else rgba_qimage(rgba)
        self._overlay_label = label if rgba is not None else ""
        self.update()

    def set_corner_text(self, corner: str, lines: list[str]) -> None:
        """Text lines for one of :data:`CORNERS`."""
        self._corner_text[corner] = list(lines)
        self.update()

    def set_edge_labels(self, labels: dict[str, str]) -> None:
        """Patient-direction letters for the ``left``, ``right``, ``top`` and ``bottom`` edges of the image."""
        self._edge_labels = dict(labels)
        self.update()

    def set_message(self, text: str) -> None:
        """A centred message (loading, a decode failure); empty hides it."""
        self._message = text
        self.update()

    def set_ruler_enabled(self, enabled: bool) -> None:
        """While enabled, a left-drag draws a ruler."""
        self.set_tool("ruler" if enabled else "")

    def set_tool(self, kind: str) -> None:
        """The left button draws ``kind`` (ruler, rectangle, ellipse, polygon); "" moves the crosshair instead."""
        if kind and kind not in SHAPE_KINDS:
            raise ValueError(f"unknown drawing tool {kind!r}")
        self._tool = kind
        self.setCursor(Qt.CursorShape.CrossCursor if kind else Qt.CursorShape.ArrowCursor)

    def tool(self) -> str:
        """The drawing tool on ("" for none)."""
        return self._tool

    def clear_shape(self) -> None:
        """Remove the ruler or region."""
        self._shape = None
        self._shape_label = ""
        self.update()

    def set_shape_label(self, text: str) -> None:
        """The text written beside the ruler or region (its length or statistics)."""
        self._shape_label = text
        self.update()

    def set_crosshair(self, point: tuple[float, float] | None) -> None:
        """Reference lines through continuous image point ``point`` (row, col); None hides them."""
        self._crosshair = point
        self.update()

    def set_boxes(self, boxes: list[PlaneBox]) -> None:
        """Finding boxes drawn over the image (empty list: none)."""
        self._boxes = list(boxes)
        self.update()

    # ------------------------------------------------------------------ state
    @property
    def window(self) -> Window:
        """The display window the slice is drawn through."""
        return self._window

    def corner_text(self, corner: str) -> list[str]:
        """The lines set for ``corner`` (all of them, even where a small view shows fewer or shortens them)."""
        return list(self._corner_text[corner])

    def corner_text_rects(self) -> dict[str, QRectF]:
        """Where each corner's text is drawn now (an empty rectangle where the corner shows nothing)."""
        return {corner: block.rect for corner, block in self._corner_blocks(overlay_font(self.font())).items()}

    def _corner_blocks(self, font: QFont) -> dict[str, CornerBlock]:
        view_rect = QRectF(self.rect())
        keep_out = ()
        if self._qimage is not None:  # the corner texts stay beside the top and bottom edge letters
            boxes = edge_label_boxes(font, self.image_rect().intersected(view_rect))
            keep_out = tuple(boxes[edge] for edge in ("top", "bottom") if self._edge_labels.get(edge))
        return layout_corners(view_rect, QFontMetricsF(font), self._corner_text, keep_out)

    def message(self) -> str:
        """The centred message shown now ("" for none)."""
        return self._message

    def has_overlay(self) -> bool:
        """True while an overlay is drawn."""
        return self._overlay is not None

    def has_image(self) -> bool:
        """True while a slice is shown."""
        return self._image is not None

    def image(self) -> np.ndarray | None:
        """The image shown (HU or grey), or None."""
        return self._image

    def shape(self) -> Shape | None:
        """The ruler or region drawn now, or None."""
        return self._shape

    def boxes(self) -> list[PlaneBox]:
        """The finding boxes drawn now."""
        return list(self._boxes)

    def crosshair(self) -> tuple[float, float] | None:
        """Where the reference lines cross (row, col), or None."""
        return self._crosshair

    def pixel_spacing(self) -> tuple[float, float] | None:
        """(row, column) spacing in mm of the image shown, None where unknown."""
        return self._pixel_spacing

    def zoom_percent(self) -> float:
        """Zoom where 100 % puts one slice column on one physical screen pixel."""
        return self._scale * self.devicePixelRatioF() * 100.0

    def image_to_view(self, row: float, col: float) -> QPointF:
        """Logical widget position of the continuous image point (``row``, ``col``)."""
        return QPointF(self._origin.x() + col * self._scale, self._origin.y() + row * self._scale * self._aspect())

    def view_to_image(self, point: QPointF) -> tuple[float, float]:
        """Continuous image coordinates (row, col) of a logical widget position."""
        col = (point.x() - self._origin.x()) / self._scale
        row = (point.y() - self._origin.y()) / (self._scale * self._aspect())
        return row, col

    def image_rect(self) -> QRectF:
        """The slice's extent in logical widget coordinates."""
        if self._image is None:
            return QRectF()
        rows, cols = self._image.shape
        return QRectF(self.image_to_view(0, 0), self.image_to_view(rows, cols))

    # ---------------------------------------------------------------- actions
    def fit(self) -> None:
        """Fit the whole slice into the widget (and keep fitting on resize)."""
        self._fit_mode = True
        self._fit()
        self.update()

    def one_to_one(self) -> None:
        """One slice column per physical screen pixel, centred."""
        self._fit_mode = False
        self._set_scale_centred(1.0 / self.devicePixelRatioF())

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under ``anchor`` (default: the centre) in place."""
        anchor = QPointF(self.width() / 2, self.height() / 2) if anchor is None else anchor
        row, col = self.view_to_image(anchor)
        self._fit_mode = False
        self._scale = min(max(self._scale * factor, MIN_SCALE), MAX_SCALE)
        moved = self.image_to_view(row, col)
        self._origin += anchor - moved
        self._view_moved()

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the slice by (``dx``, ``dy``) logical pixels."""
        self._fit_mode = False
        self._origin += QPointF(dx, dy)
        self._view_moved()

    def reset_view(self) -> None:
        """Fit, and drop the ruler or region."""
        self._shape = None
        self._shape_label = ""
        self.fit()

    # --------------------------------------------------------------- geometry
    def _aspect(self) -> float:
        if not self._pixel_spacing:
            return 1.0
        row_spacing, col_spacing = self._pixel_spacing
        return row_spacing / col_spacing if row_spacing > 0 and col_spacing > 0 else 1.0

    def _fit(self) -> None:
        if self._image is None:
            return
        rows, cols = self._image.shape
        scale = min(self.width() / cols, self.height() / (rows * self._aspect()))
        self._set_scale_centred(scale)

    def _set_scale_centred(self, scale: float) -> None:
        if self._image is None:
            return
        rows, cols = self._image.shape
        self._scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        width, height = cols * self._scale, rows * self._scale * self._aspect()
        self._origin = QPointF((self.width() - width) / 2, (self.height() - height) / 2)
        self._view_moved()

    def _view_moved(self) -> None:
        self.update()
        self.view_changed.emit()

    def _render(self) -> None:
        self._qimage = None if self._image is None else grey_qimage(apply_window(self._image, self._window))

    # ------------------------------------------------------------------ paint
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._qimage is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 2.0)
            target = self.image_rect()
            painter.drawImage(target, self._qimage)
            if self._overlay is not None:
                painter.drawImage(target, self._overlay)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self._paint_marks(painter)
        view_rect = QRectF(self.rect())
        font = overlay_font(self.font())
        painter.setFont(font)
        paint_corner_text(painter, self._corner_blocks(font))
        if self._qimage is not None and self._edge_labels:
            paint_edge_labels(painter, font, self.image_rect().intersected(view_rect), self._edge_labels)
        if self._overlay_label:
            paint_overlay_label(painter, font, view_rect, self._overlay_label)
        if self._message:
            paint_message(painter, view_rect, self._message)
        painter.end()

    def _paint_marks(self, painter: QPainter) -> None:
        if self._qimage is None:
            return
        if self._crosshair is not None:
            paint_crosshair(painter, self.image_to_view, self._crosshair, self.image_rect())
        painter.setFont(overlay_font(self.font()))
        for rect, label in paint_boxes(painter, self.image_to_view, self._boxes):
            paint_outlined(painter, rect, Qt.AlignmentFlag.AlignLeft, label)
        if self._shape is not None:
            anchor = paint_shape(painter, self.image_to_view, self._shape)
            label = self._ruler_label() if self._shape.kind == "ruler" else self._shape_label
            size = QFontMetricsF(painter.font()).size(0, label) + QSizeF(4, 4)
            # beside the shape, moved back inside the view where it would run off an edge
            left = min(anchor.x() + 8, self.width() - size.width() - 2)
            top = min(max(anchor.y() - 10, 2), self.height() - size.height() - 2)
            paint_outlined(painter, QRectF(QPointF(max(left, 2), top), size), Qt.AlignmentFlag.AlignLeft, label)

    def ruler_length(self) -> float | None:
        """Length of the ruler in mm (pixels where the spacing is unknown); None without a ruler."""
        if self._shape is None or self._shape.kind != "ruler":
            return None
        return ruler_length(self._shape.points[0], self._shape.points[-1], self._pixel_spacing)

    def _ruler_label(self) -> str:
        length = self.ruler_length() or 0.0
        return f"{length:.1f} mm" if self._pixel_spacing else f"{length:.1f} px"

    # ------------------------------------------------------------------ input
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fit_mode:
            self._fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if delta:
                self.zoom_by(ZOOM_STEP ** (delta / 120), event.position())
            event.accept()
            return
        # Wheel down (away from the user) goes to the next slice, as in RadiAnt and Weasis.
        self._wheel_remainder += delta
        steps = int(self._wheel_remainder / 120)
        if steps:
            self._wheel_remainder -= steps * 120
            self.slice_step_requested.emit(-steps)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.set_tool(self._tool)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_held):
            self._drag_kind = "pan"
        elif button == Qt.MouseButton.RightButton:
            self._drag_kind = "window"
        elif button == Qt.MouseButton.LeftButton and self._tool and self._image is not None:
            self._drag_kind = "shape"
            point = self.view_to_image(event.position())
            self._shape = Shape(self._tool, (point, point))
            self._shape_label = ""
        elif button == Qt.MouseButton.LeftButton and self._image is not None:
            self._drag_kind = "point"
            self.point_selected.emit(*self.view_to_image(event.position()))
        else:
            super().mousePressEvent(event)
            return
        self._drag_button = button
        self._drag_last = event.position()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        position = event.position()
        self._emit_hovered(position)
        if self._drag_button is None:
            return
        delta = position - self._drag_last
        self._drag_last = position
        if self._drag_kind == "pan":
            self.pan_by(delta.x(), delta.y())
        elif self._drag_kind == "window":
            self._drag_window(delta.x(), delta.y())
        elif self._drag_kind == "shape" and self._shape is not None:
            self._extend_shape(position)
        elif self._drag_kind == "point":
            self.point_selected.emit(*self.view_to_image(position))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() != self._drag_button:
            super().mouseReleaseEvent(event)
            return
        if self._drag_kind == "shape" and self._shape is not None:
            self._extend_shape(event.position())
            if self._shape.kind == "ruler":
                self.measured.emit(self.ruler_length() or 0.0)
            self.shape_drawn.emit(self._shape)
        self._drag_button = None
        self._drag_kind = ""
        event.accept()

    def _extend_shape(self, position: QPointF) -> None:
        """Drag the shape's last point to ``position``; a polygon takes a new vertex every few pixels instead."""
        point = self.view_to_image(position)
        points = self._shape.points
        if self._shape.kind == "polygon":
            last = self.image_to_view(*points[-1])
            if math.hypot(position.x() - last.x(), position.y() - last.y()) >= FREEHAND_STEP_PIXELS:
                points = points + (point,)
        else:
            points = (points[0], point)
        self._shape = Shape(self._shape.kind, points)
        self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.hovered.emit(-1, -1)
        super().leaveEvent(event)

    def _emit_hovered(self, position: QPointF) -> None:
        if self._image is None:
            return
        row, col = (math.floor(v) for v in self.view_to_image(position))
        rows, cols = self._image.shape
        inside = 0 <= row < rows and 0 <= col < cols
        self.hovered.emit(row if inside else -1, col if inside else -1)

    def _drag_window(self, dx: float, dy: float) -> None:
        """Right-drag: horizontal changes the width, vertical the level (down makes the image darker)."""
        step = max(self._window.width, 2.0) / WINDOW_DRAG_PIXELS
        width = max(1.0, self._window.width + dx * step)
        center = self._window.center + dy * step
        self.set_window(Window(center, width))
        self.window_changed.emit(self._window)
