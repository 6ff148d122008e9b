"""Drive the real main window: open, scroll, window, broken input, closing while loading."""

import shutil

import numpy as np
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QTableWidget

from lungview import INTENDED_USE
from lungview.windowing import PRESETS


def _wheel(widget, notches: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    position = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        position,
        widget.mapToGlobal(position),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_sample_opens_in_lung_window_at_the_middle_slice(sample_window):
    series = sample_window.current_series()
    assert len(series) == 30
    assert sample_window.current_index() == 15
    assert sample_window.current_image().shape == (512, 512)
    assert sample_window.view.window == PRESETS["lung"]
    assert "Slice 16/30" in sample_window.view.corner_text("top_right")
    assert sample_window.intended_use_label.text() == INTENDED_USE
    assert sample_window.view.corner_text("bottom_left")[0] == "W 1500  L -600"


def test_wheel_and_keys_change_the_slice(qtbot, sample_window):
    view = sample_window.view
    _wheel(view, -1)  # wheel down: next slice
    assert sample_window.current_index() == 16
    _wheel(view, 2)
    assert sample_window.current_index() == 14
    qtbot.keyClick(sample_window, Qt.Key.Key_Down)
    assert sample_window.current_index() == 15
    qtbot.keyClick(sample_window, Qt.Key.Key_Up)
    assert sample_window.current_index() == 14
    qtbot.keyClick(sample_window, Qt.Key.Key_PageDown)
    assert sample_window.current_index() == 24
    qtbot.keyClick(sample_window, Qt.Key.Key_End)
    assert sample_window.current_index() == 29
    qtbot.keyClick(sample_window, Qt.Key.Key_Home)
    assert sample_window.current_index() == 0
    assert sample_window.slider.value() == 0
    qtbot.waitUntil(lambda: "Slice 1/30" in view.corner_text("top_right"))
    sample_window.slider.setValue(7)
    assert sample_window.current_index() == 7


def test_each_slice_shows_its_own_pixels(qtbot, sample_window):
    middle = sample_window.current_image()
    with qtbot.waitSignal(sample_window.slice_displayed) as blocker:
        sample_window.set_slice(3)
    assert blocker.args == [3]
    assert not np.array_equal(sample_window.current_image(), middle)


def test_ctrl_wheel_zooms_instead_of_scrolling(sample_window):
    zoom_before = sample_window.view.zoom_percent()
    _wheel(sample_window.view, 1, Qt.KeyboardModifier.ControlModifier)
    assert sample_window.current_index() == 15
    assert sample_window.view.zoom_percent() > zoom_before
    assert f"Zoom {sample_window.view.zoom_percent():.0f}%" in sample_window.view.corner_text("bottom_left")


def test_presets_on_keys_and_buttons_change_the_window(qtbot, sample_window):
    keys = (Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_1)
    for key, name in zip(keys, ("mediastinum", "soft-tissue", "bone", "lung")):
        qtbot.keyClick(sample_window, key)
        assert sample_window.view.window == PRESETS[name]
        assert sample_window.preset_actions[name].isChecked()
    sample_window.preset_actions["bone"].trigger()
    assert sample_window.view.window == PRESETS["bone"]
    stored = sample_window.current_series().stored_window
    assert stored is not None
    qtbot.keyClick(sample_window, Qt.Key.Key_5)
    assert sample_window.view.window == stored
    assert sample_window.stored_window_action.isChecked()


def test_right_drag_adjusts_the_window(qtbot, sample_window):
    view = sample_window.view
    centre = QPoint(view.width() // 2, view.height() // 2)
    qtbot.mousePress(view, Qt.MouseButton.RightButton, pos=centre)
    moved = QPointF(centre.x() + 40, centre.y() + 20)
    QApplication.sendEvent(
        view,
        QMouseEvent(
            QEvent.Type.MouseMove, moved, view.mapToGlobal(moved), Qt.MouseButton.NoButton,
            Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier,
        ),
    )
    qtbot.mouseRelease(view, Qt.MouseButton.RightButton, pos=moved.toPoint())
    window = view.window
    assert window.width > PRESETS["lung"].width
    assert window.center > PRESETS["lung"].center
    assert not any(action.isChecked() for action in sample_window.preset_actions.values())


def test_hide_identifiers_is_one_click(sample_window):
    shown = sample_window.view.corner_text("top_left")
    assert shown[0] != "identifiers hidden"
    sample_window.hide_identifiers_action.trigger()
    assert sample_window.view.corner_text("top_left") == ["identifiers hidden"]
    sample_window.hide_identifiers_action.trigger()
    assert sample_window.view.corner_text("top_left") == shown


def test_hu_under_the_cursor_reaches_the_status_bar(sample_window):
    sample_window.view.hovered.emit(256, 256)
    expected = f"HU {float(sample_window.current_image()[256, 256]):.0f}"
    assert sample_window.hu_label.text().startswith(expected)
    sample_window.view.hovered.emit(-1, -1)
    assert sample_window.hu_label.text() == ""


def test_tag_dialog_is_searchable(sample_window):
    sample_window.tags_action.trigger()
    dialog = sample_window.tag_dialog
    assert dialog.visible_row_count() > 20
    dialog.search.setText("pixel spacing")
    assert dialog.visible_row_count() >= 1
    dialog.search.setText("no tag is called this")
    assert dialog.visible_row_count() == 0
    dialog.close()


def test_broken_files_are_listed_and_the_app_goes_on(qtbot, main_window, sample_series_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "notes.txt").write_text("not an image")
    original = (sample_series_dir / "1-04.dcm").read_bytes()
    (broken / "truncated.dcm").write_bytes(original[: len(original) // 3])
    with qtbot.waitSignal(main_window.scan_finished, timeout=30_000) as blocker:
        main_window.open_paths([str(broken)])
    result = blocker.args[0]
    assert result.series == ()
    rows = main_window.skipped_panel.skipped_rows()
    assert sorted(path.rsplit("/", 1)[-1] for path, _ in rows) == ["notes.txt", "truncated.dcm"]
    assert all(reason for _, reason in rows)
    assert main_window.skipped_dock.isVisible()
    assert "No images" in main_window.view.message()
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(sample_series_dir)])
    qtbot.waitUntil(lambda: main_window.current_image() is not None, timeout=30_000)


def test_a_series_with_one_broken_slice_still_scrolls(qtbot, main_window, sample_series_dir, tmp_path):
    folder = tmp_path / "series"
    shutil.copytree(sample_series_dir, folder, ignore=shutil.ignore_patterns("*.csv", "*.md", "LICENSE"))
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(folder)])
    assert len(main_window.current_series()) == 30
    assert main_window.skipped_panel.skipped_rows() == []
    assert not main_window.skipped_button.isVisible()


def test_recent_folders_are_remembered(qtbot, main_window, sample_series_dir, settings):
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(sample_series_dir)])
    assert main_window.recent_folders()[0] == str(sample_series_dir)
    assert settings.value("recent_folders") is not None
    assert [action.text() for action in main_window.recent_menu.actions()] == [str(sample_series_dir)]


def test_closing_while_loading_leaves_no_thread(qtbot, settings, sample_series_dir, lungview_threads):
    from lungview.qt.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    window.open_paths([str(sample_series_dir)])
    assert window.loader.is_loading()
    window.close()
    assert lungview_threads() == []
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def test_cine_advances_and_stops(qtbot, sample_window):
    start = sample_window.current_index()
    sample_window.play_action.trigger()
    qtbot.waitUntil(lambda: sample_window.current_index() != start)
    sample_window.play_action.trigger()
    assert not sample_window.play_action.isChecked()


def test_dropping_a_folder_opens_it(qtbot, main_window, sample_series_dir):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample_series_dir))])
    position = QPointF(100, 100)
    drop = QDropEvent(
        position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(main_window.scan_finished, timeout=30_000):
        main_window.dropEvent(drop)
    assert len(main_window.current_series()) == 30


def test_help_lists_the_keyboard_shortcuts(main_window):
    main_window.shortcuts_action.trigger()
    table = main_window.shortcuts_dialog.findChild(QTableWidget)
    rows = {table.item(row, 1).text(): table.item(row, 0).text() for row in range(table.rowCount())}
    assert rows["Next slice"] == "Down"
    assert rows["Lung window (W 1500 / L -600)"] == "1"
    assert "Pan" in rows
    main_window.shortcuts_dialog.close()


def test_cancel_stops_loading_and_slices_still_load_on_demand(qtbot, main_window, sample_series_dir):
    with qtbot.waitSignal(main_window.scan_finished, timeout=30_000):
        main_window.open_paths([str(sample_series_dir)])
    main_window.cancel_button.click()
    qtbot.waitUntil(lambda: not main_window.loader.is_loading() and main_window.cancel_button.isHidden())
    with qtbot.waitSignal(main_window.slice_displayed, timeout=30_000):
        main_window.set_slice(0)
    assert main_window.current_image() is not None


def test_png_slices_show_grey_values_without_hu(qtbot, main_window, tmp_path):
    from PIL import Image

    for index in range(3):
        Image.fromarray(np.full((40, 60), 50 * index, np.uint8)).save(tmp_path / f"slice-{index}.png")
    with qtbot.waitSignal(main_window.loading_finished, timeout=30_000):
        main_window.open_paths([str(tmp_path)])
    qtbot.waitUntil(lambda: main_window.current_image() is not None)
    assert not main_window.current_series().has_hu
    main_window.view.hovered.emit(5, 5)
    assert main_window.hu_label.text().startswith("no HU")


def test_space_drag_pans(qtbot, sample_window):
    view = sample_window.view
    view.setFocus()
    before = view.image_rect().topLeft()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 300))
    qtbot.mouseMove(view, QPoint(310, 290))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(310, 290))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert view.image_rect().topLeft() - before == QPointF(10, -10)


def test_opening_again_while_loading_finishes_once_with_the_new_paths(qtbot, main_window, sample_series_dir):
    finished = []
    main_window.loading_finished.connect(lambda: finished.append(main_window.current_series()))
    main_window.open_paths([str(sample_series_dir)])
    main_window.open_paths([str(sample_series_dir)])
    qtbot.waitUntil(lambda: finished != [], timeout=60_000)
    assert len(finished[0]) == 30
    assert not main_window.loader.is_loading()
