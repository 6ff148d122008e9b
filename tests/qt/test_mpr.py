"""Coronal and sagittal views in the real main window: layouts, linked crosshair, scrolling, findings, ROIs."""

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from lungview.detection.lesions import Lesion, LesionSlice, SeriesLesions
from lungview.dicom import scan_paths
from lungview.planes.measure import Shape, region_mask
from lungview.qt.shortcuts_dialog import shortcut_rows
from lungview.windowing import PRESETS


def _click(qtbot, view, row: float, col: float) -> None:
    """A real left click on image point (row, col) (rounded to a screen pixel)."""
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.image_to_view(row, col).toPoint())


def _stack(window) -> np.ndarray:
    store = window.loader.store
    return np.stack([store.load(index) for index in range(len(window.current_series()))])


def test_layout_keys_show_three_planes_with_their_true_spacing(mpr_window):
    mpr = mpr_window.mpr
    assert mpr.grid.layout_name() == "1x3" and mpr_window.layout_actions["1x3"].isChecked()
    assert all(view.isVisible() for view in mpr.views.values())
    stack = _stack(mpr_window)
    coronal, sagittal = mpr.views["coronal"], mpr.views["sagittal"]
    np.testing.assert_array_equal(coronal.image(), stack[::-1, 256, :])
    np.testing.assert_array_equal(sagittal.image(), stack[::-1, :, 256])
    assert coronal.pixel_spacing() == pytest.approx((5.0, 0.841796875))
    rect = coronal.image_rect()  # 30 slices x 5 mm high, 512 x 0.84 mm wide: drawn to scale
    assert rect.height() / rect.width() == pytest.approx(30 * 5.0 / (512 * 0.841796875), rel=0.01)
    assert coronal.corner_text("top_right")[0] == "Coronal 257/512"
    assert mpr_window.mpr.views["coronal"].window == PRESETS["lung"]


def test_one_by_one_layout_shows_a_single_chosen_plane(qtbot, mpr_window):
    qtbot.keyClick(mpr_window, Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    mpr = mpr_window.mpr
    assert mpr.grid.visible_planes() == ("sagittal",)
    assert mpr.views["sagittal"].isVisible() and not mpr_window.view.isVisible()
    qtbot.keyClick(mpr_window, Qt.Key.Key_F4)
    assert mpr.grid.layout_name() == "2x2" and mpr_window.view.isVisible()
    qtbot.keyClick(mpr_window, Qt.Key.Key_F2)
    assert mpr.grid.visible_planes() == ("sagittal",)


def test_clicking_in_one_plane_moves_the_others(qtbot, mpr_window):
    mpr, axial = mpr_window.mpr, mpr_window.view
    _click(qtbot, axial, 100.5, 300.5)
    assert mpr.position("coronal") == pytest.approx(100, abs=1)
    assert mpr.position("sagittal") == pytest.approx(300, abs=1)
    axial.point_selected.emit(100.5, 300.5)  # the exact image point, free of screen rounding
    assert (mpr.position("coronal"), mpr.position("sagittal")) == (100, 300)
    stack = _stack(mpr_window)
    np.testing.assert_array_equal(mpr.views["coronal"].image(), stack[::-1, 100, :])
    np.testing.assert_array_equal(mpr.views["sagittal"].image(), stack[::-1, :, 300])
    assert mpr.views["coronal"].crosshair()[1] == pytest.approx(300.5)
    # coronal image row 4 is the fifth slice from the top: axial index 25 of 30
    mpr.views["coronal"].point_selected.emit(4.5, 200.5)
    assert mpr_window.current_index() == 25 and mpr.position("sagittal") == 200
    assert axial.crosshair() == pytest.approx((100.5, 200.5))
    assert mpr.views["sagittal"].crosshair()[0] == pytest.approx(4.5)
    mpr.views["sagittal"].point_selected.emit(20.5, 50.5)
    assert mpr_window.current_index() == 9 and mpr.position("coronal") == 50


def test_wheel_scrolls_each_reformat_plane(mpr_window):
    mpr = mpr_window.mpr
    mpr.views["coronal"].slice_step_requested.emit(3)
    mpr.views["sagittal"].slice_step_requested.emit(-2)
    assert (mpr.position("coronal"), mpr.position("sagittal")) == (259, 254)
    assert mpr_window.current_index() == 15


def test_window_level_follows_in_every_plane(qtbot, mpr_window):
    qtbot.keyClick(mpr_window, Qt.Key.Key_4)
    assert all(view.window == PRESETS["bone"] for view in mpr_window.mpr.views.values())


def _lesions(series_uid: str) -> SeriesLesions:
    slices = tuple(LesionSlice(index, index + 1, f"uid{index}", (200, 240, 230, 280)) for index in (14, 15, 16))
    finding = Lesion(1, 0.91, 15, 215.0, 260.0, None, slices)
    faint = Lesion(2, 0.10, 5, 100.0, 100.0, None, (LesionSlice(5, 6, "uid5", (90, 90, 110, 110)),))
    return SeriesLesions(series_uid, {"id": "test", "version": "0", "sha256": ""}, 0.5, (finding, faint), (None,) * 30)


def test_show_lesions_marks_findings_in_every_plane(qtbot, mpr_window):
    mpr_window.show_lesions(_lesions(mpr_window.current_series().series_uid))
    (box,) = mpr_window.view.boxes()  # slice 15 is spanned; the 0.10 candidate is below the threshold
    assert (box.top, box.left, box.bottom, box.right) == (200, 240, 231, 281) and box.label == "#1 0.91"
    mpr_window.view.point_selected.emit(215.5, 260.5)
    (coronal,) = mpr_window.mpr.views["coronal"].boxes()
    # axial slices 14-16 are coronal rows 13-15 (head on top); columns 240-280
    assert (coronal.top, coronal.left, coronal.bottom, coronal.right, coronal.cut) == (13, 240, 16, 281, True)
    (sagittal,) = mpr_window.mpr.views["sagittal"].boxes()
    assert (sagittal.top, sagittal.left, sagittal.bottom, sagittal.right) == (13, 200, 16, 231)
    mpr_window.set_slice(3)
    qtbot.waitUntil(lambda: mpr_window.current_image() is not None)
    assert mpr_window.view.boxes() == []
    mpr_window.set_slice(16)
    qtbot.waitUntil(lambda: mpr_window.view.boxes() != [])
    qtbot.keyClick(mpr_window, Qt.Key.Key_B)
    assert mpr_window.view.boxes() == [] and mpr_window.mpr.views["coronal"].boxes() == []
    qtbot.keyClick(mpr_window, Qt.Key.Key_B)
    assert len(mpr_window.mpr.views["sagittal"].boxes()) == 1
    mpr_window.show_lesions(None)
    assert mpr_window.view.boxes() == [] and mpr_window.mpr.views["coronal"].boxes() == []


def test_lesions_of_another_series_are_not_drawn(mpr_window):
    mpr_window.show_lesions(_lesions("1.2.3.other"))
    assert mpr_window.lesions() is None and mpr_window.view.boxes() == []


def test_roi_in_the_coronal_view_gives_hu_statistics_and_mm2(qtbot, mpr_window):
    coronal = mpr_window.mpr.views["coronal"]
    qtbot.keyClick(mpr_window, Qt.Key.Key_R)
    assert coronal.tool() == "rectangle" and mpr_window.view.tool() == "rectangle"
    start, end = coronal.image_to_view(10, 100), coronal.image_to_view(20, 300)
    with qtbot.waitSignal(mpr_window.measurement_made) as blocker:
        qtbot.mousePress(coronal, Qt.MouseButton.LeftButton, pos=start.toPoint())
        qtbot.mouseMove(coronal, end.toPoint())
        qtbot.mouseRelease(coronal, Qt.MouseButton.LeftButton, pos=end.toPoint())
    measurement = blocker.args[0]
    assert measurement.plane == "coronal" and measurement.position == 256 and measurement.kind == "rectangle"
    mask = region_mask(Shape("rectangle", measurement.points), coronal.image().shape)
    values = coronal.image()[mask].astype(np.float64)
    assert measurement.values["mean"] == pytest.approx(values.mean())
    assert measurement.values["area"] == pytest.approx(mask.sum() * 5.0 * 0.841796875)
    assert "mm²" in mpr_window.statusBar().currentMessage()
    qtbot.keyClick(mpr_window, Qt.Key.Key_R)  # off again: clicks move the crosshair
    assert coronal.tool() == ""


def test_ruler_in_the_sagittal_view_measures_true_mm(qtbot, mpr_window):
    sagittal = mpr_window.mpr.views["sagittal"]
    mpr_window.ruler_action.trigger()
    start, end = sagittal.image_to_view(5, 200), sagittal.image_to_view(25, 200)  # 20 slices x 5 mm
    qtbot.mousePress(sagittal, Qt.MouseButton.LeftButton, pos=start.toPoint())
    qtbot.mouseMove(sagittal, end.toPoint())
    qtbot.mouseRelease(sagittal, Qt.MouseButton.LeftButton, pos=end.toPoint())
    assert sagittal.ruler_length() == pytest.approx(100.0, abs=2.0)
    assert mpr_window.last_measurement().values["length_unit"] == "mm"


def test_layout_plane_and_tool_keys_are_listed_in_help(mpr_window):
    rows = dict((what, keys) for keys, what in shortcut_rows(mpr_window._shortcut_actions))
    assert rows["Three planes (1×3)"] == "F3"
    assert rows["Coronal view alone"] == "Shift+C"
    assert rows["AI finding boxes"] == "B"
    assert rows["Ellipse ROI"] == "E" and rows["Freehand ROI"] == "D"


def test_a_series_with_missing_slices_is_refused_with_a_sentence(qtbot, main_window, sample_series_dir, tmp_path):
    files = sorted(sample_series_dir.glob("*.dcm"))
    for path in files:
        shutil.copy(path, tmp_path / path.name)
    # drop a middle slice by position: the geometric sort puts it wherever its z is
    series = scan_paths([str(tmp_path)]).series[0]
    (tmp_path / series.slices[15].path.split("/")[-1]).unlink()
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(tmp_path)])
    main_window.set_layout("1x3")
    coronal = main_window.mpr.views["coronal"]
    qtbot.waitUntil(lambda: "missing" in coronal.message(), timeout=30_000)
    assert not coronal.has_image() and main_window.mpr.volume() is None


def test_exactly_one_layout_action_is_checked(mpr_window):
    for name in ("2x2", "1x1", "1x3"):
        mpr_window.layout_actions[name].trigger()
        assert [n for n, action in mpr_window.layout_actions.items() if action.isChecked()] == [name]
        assert mpr_window.mpr.grid.layout_name() == name


def test_right_drag_in_the_axial_view_windows_every_plane(qtbot, mpr_window):
    view = mpr_window.view
    centre = QPoint(view.width() // 2, view.height() // 2)
    qtbot.mousePress(view, Qt.MouseButton.RightButton, pos=centre)
    moved = QPointF(centre.x() + 40, centre.y() + 20)
    QApplication.sendEvent(view, QMouseEvent(
        QEvent.Type.MouseMove, moved, view.mapToGlobal(moved), Qt.MouseButton.NoButton, Qt.MouseButton.RightButton,
        Qt.KeyboardModifier.NoModifier,
    ))
    qtbot.mouseRelease(view, Qt.MouseButton.RightButton, pos=moved.toPoint())
    assert view.window != PRESETS["lung"]
    assert mpr_window.mpr.views["coronal"].window == view.window == mpr_window.mpr.views["sagittal"].window


def test_the_2x2_layout_explains_itself_in_its_fourth_cell(qtbot, mpr_window):
    qtbot.keyClick(mpr_window, Qt.Key.Key_F4)
    legend = mpr_window.mpr.grid.legend
    assert legend.isVisible()
    assert legend.text().startswith("30 slices · voxel 0.84 × 0.84 × 5.00 mm")
