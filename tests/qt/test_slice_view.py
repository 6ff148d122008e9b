"""The slice view: coordinate mapping, registered overlay, aspect of non-square pixels, zoom, pan, ruler."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from lungview.qt.slice_view import SliceView
from lungview.windowing import Window


@pytest.fixture
def view(qtbot):
    view = SliceView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    return view


def _ramp(rows: int = 64, cols: int = 80) -> np.ndarray:
    return np.tile(np.linspace(-1000, 1000, cols, dtype=np.float32), (rows, 1))


def test_image_and_view_coordinates_round_trip_at_any_zoom_and_pan(view):
    view.set_image(_ramp(), (0.7, 0.7))
    for action in (lambda: None, lambda: view.zoom_by(2.5, QPointF(100, 80)), lambda: view.pan_by(-37, 12)):
        action()
        for row, col in ((0, 0), (10.5, 20.25), (63, 79)):
            back = view.view_to_image(view.image_to_view(row, col))
            assert back == pytest.approx((row, col))


def test_zoom_keeps_the_point_under_the_cursor(view):
    view.set_image(_ramp(), None)
    anchor = QPointF(150, 120)
    before = view.view_to_image(anchor)
    view.zoom_by(1.7, anchor)
    assert view.view_to_image(anchor) == pytest.approx(before)


def test_non_square_pixels_keep_their_physical_aspect(view):
    view.set_image(np.zeros((100, 100), np.float32), (2.0, 1.0))  # rows 2 mm apart, columns 1 mm apart
    rect = view.image_rect()
    assert rect.height() / rect.width() == pytest.approx(2.0)


def test_fit_and_one_to_one(view):
    view.set_image(np.zeros((512, 512), np.float32), (0.8, 0.8))
    rect = view.image_rect()
    assert max(rect.width(), rect.height()) <= 400 and rect.height() == pytest.approx(300)
    view.one_to_one()
    assert view.zoom_percent() == pytest.approx(100.0)
    view.fit()
    assert view.image_rect() == rect


def test_overlay_is_drawn_on_its_slice_pixel_after_zoom_and_pan(view):
    image = np.full((64, 64), -1000, np.float32)
    view.set_image(image, (1.0, 1.0))
    view.set_window(Window(0, 2000))
    overlay = np.zeros((64, 64, 4), np.uint8)
    overlay[40:44, 10:14] = (255, 0, 0, 255)  # a red patch at rows 40-43, columns 10-13
    view.set_overlay(overlay)
    view.zoom_by(3.0, QPointF(120, 200))
    view.pan_by(25, -60)
    centre = view.image_to_view(42, 12)
    grabbed = view.grab().toImage()
    ratio = view.devicePixelRatioF()
    colour = grabbed.pixelColor(int(centre.x() * ratio), int(centre.y() * ratio))
    assert (colour.red(), colour.green(), colour.blue()) == (255, 0, 0)
    outside = view.image_to_view(20, 40)
    colour = grabbed.pixelColor(int(outside.x() * ratio), int(outside.y() * ratio))
    assert colour.red() == colour.green() == colour.blue()


def test_ruler_measures_in_millimetres(qtbot, view):
    view.set_image(np.zeros((100, 100), np.float32), (0.5, 0.5))
    view.set_ruler_enabled(True)
    start, end = view.image_to_view(10, 10), view.image_to_view(10, 50)  # 40 columns x 0.5 mm = 20 mm
    with qtbot.waitSignal(view.measured) as blocker:
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start.toPoint())
        qtbot.mouseMove(view, end.toPoint())
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end.toPoint())
    assert blocker.args[0] == pytest.approx(20.0, abs=0.6)  # to within a pixel of rounding to screen points


def test_middle_drag_pans(qtbot, view):
    view.set_image(np.zeros((100, 100), np.float32), None)
    before = view.image_rect().topLeft()
    qtbot.mousePress(view, Qt.MouseButton.MiddleButton, pos=QPoint(200, 150))
    qtbot.mouseMove(view, QPoint(230, 170))
    qtbot.mouseRelease(view, Qt.MouseButton.MiddleButton, pos=QPoint(230, 170))
    assert view.image_rect().topLeft() - before == QPointF(30, 20)


def test_freehand_roi_takes_a_vertex_as_the_cursor_moves(qtbot, view):
    view.set_image(np.zeros((100, 100), np.float32), (0.5, 0.5))
    view.set_tool("polygon")
    corners = [(20, 20), (20, 80), (80, 80), (80, 20)]
    points = [view.image_to_view(row, col).toPoint() for row, col in corners]
    with qtbot.waitSignal(view.shape_drawn) as drawn:
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=points[0])
        for point in points[1:]:
            qtbot.mouseMove(view, point)
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=points[-1])
    shape = drawn.args[0]
    assert shape.kind == "polygon" and len(shape.points) >= 4
    assert shape.points[0] == pytest.approx((20, 20), abs=1.5) and shape.points[-1] == pytest.approx((80, 20), abs=1.5)


def test_without_a_tool_a_left_click_selects_a_point(qtbot, view):
    view.set_image(np.zeros((100, 100), np.float32), None)
    with qtbot.waitSignal(view.point_selected) as selected:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.image_to_view(30, 60).toPoint())
    assert selected.args == pytest.approx([30, 60], abs=1.0)
    assert view.shape() is None
