"""The main window's central area: the view grid above the cine controls and the slice slider, with room for
strips (a per-slice probability strip) right above the slider."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSpinBox, QToolButton, QVBoxLayout, QWidget

from lungview.qt.window_actions import PAGE_STEP

DEFAULT_FPS = 10


def create_central(w) -> None:
    """Set ``w``'s central widget: ``w.mpr.grid``, ``w.play_button``, ``w.fps_box`` and ``w.slider``.

    Strips added with ``w.add_slider_strip`` go into ``w._strip_layout``, spanning the slider's width.
    """
    w.play_button = QToolButton(w)
    w.play_button.setDefaultAction(w.play_action)
    w.fps_box = QSpinBox(w)
    w.fps_box.setRange(1, 60)
    w.fps_box.setValue(DEFAULT_FPS)
    w.fps_box.setSuffix(" fps")
    w.fps_box.setToolTip("Cine frame rate")
    w.slider.setPageStep(PAGE_STEP)
    w.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the window's shortcuts
    controls = QHBoxLayout()
    controls.addWidget(w.play_button)
    controls.addWidget(w.fps_box)
    slider_column = QVBoxLayout()
    w._strip_layout = QVBoxLayout()
    w._strip_layout.setContentsMargins(0, 0, 0, 0)
    slider_column.addLayout(w._strip_layout)
    slider_column.addWidget(w.slider)
    controls.addLayout(slider_column, stretch=1)
    central = QWidget(w)
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 4)
    layout.addWidget(w.mpr.grid, stretch=1)
    layout.addLayout(controls)
    w.setCentralWidget(central)
