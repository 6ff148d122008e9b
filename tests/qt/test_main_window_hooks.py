"""The hooks other panels use: a docked panel, a strip above the slider, a runner the window shuts down."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def test_a_panel_docks_on_the_right_and_is_listed_in_the_view_menu(main_window):
    panel = QLabel("AI")
    dock = main_window.add_panel(panel, "AI second reader")
    assert main_window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert dock.toggleViewAction() in main_window.view_menu.actions()


def test_a_strip_sits_right_above_the_slider_with_its_width(qtbot, main_window):
    strip = QLabel("per-slice probabilities")
    main_window.add_slider_strip(strip)
    qtbot.waitUntil(lambda: strip.isVisible() and strip.width() > 0)
    strip_left = strip.mapTo(main_window, strip.rect().bottomLeft())
    slider_left = main_window.slider.mapTo(main_window, main_window.slider.rect().topLeft())
    assert strip_left.x() == slider_left.x()
    assert strip.width() == main_window.slider.width()
    assert strip_left.y() < slider_left.y()


def test_a_runner_from_the_window_ends_when_the_window_closes(qtbot, settings, lungview_threads):
    from lungview.qt.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    runner = window.create_runner("classify")
    with qtbot.waitSignal(runner.finished):
        runner.submit(lambda: "done")
    assert "lungview-classify" in lungview_threads()
    window.close()
    assert lungview_threads() == []


def test_slice_changed_and_displayed_tell_which_slice(qtbot, sample_window):
    with qtbot.waitSignals([sample_window.slice_changed, sample_window.slice_displayed]):
        sample_window.set_slice(4)
    assert sample_window.current_index() == 4
    assert sample_window.current_image() is not None


def test_an_overlay_never_stays_on_the_next_slice(sample_window):
    sample_window.view.set_overlay(np.zeros((512, 512, 4), np.uint8))
    assert sample_window.view.has_overlay()
    sample_window.step_slice(1)
    assert not sample_window.view.has_overlay()
