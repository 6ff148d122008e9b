"""The main window's status bar: the value under the cursor, loading progress with Cancel, skipped files, the
intended-use line."""

import numpy as np
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from lungview import INTENDED_USE


def create_status_bar(w) -> None:
    """Add ``w.hu_label``, the progress widgets (hidden until loading), ``w.skipped_button`` and the intended use."""
    status = w.statusBar()
    w.hu_label = QLabel(w)
    w.hu_label.setMinimumWidth(220)
    status.addWidget(w.hu_label)
    w.progress_bar = QProgressBar(w)
    w.progress_bar.setMaximumWidth(220)
    w.progress_bar.setFormat("%p%")
    w.progress_label = QLabel(w)
    w.cancel_button = QPushButton("Cancel", w)
    w.cancel_button.clicked.connect(w.loader.cancel)
    w.skipped_button = QPushButton(w)
    w.skipped_button.setFlat(True)
    w.skipped_button.clicked.connect(w.show_skipped)
    for widget in (w.progress_label, w.progress_bar, w.cancel_button, w.skipped_button):
        status.addWidget(widget)
        widget.hide()
    w.intended_use_label = QLabel(INTENDED_USE, w)
    w.intended_use_label.setStyleSheet("font-weight: bold;")
    status.addPermanentWidget(w.intended_use_label)


def value_text(image: np.ndarray | None, row: int, col: int, has_hu: bool) -> str:
    """The readout for pixel (``row``, ``col``): HU, or the grey value of an image without HU; "" off the image."""
    if image is None or row < 0:
        return ""
    value = float(image[row, col])
    if has_hu:
        return f"HU {value:.0f}   (x {col}, y {row})"
    return f"no HU · grey {value:.0f}   (x {col}, y {row})"


def show_progress(w, what: str, done: int, total: int) -> None:
    """Show loading progress: ``done`` of ``total`` steps of ``what``, with the Cancel button."""
    if w.progress_label.text() != what:
        w.progress_label.setText(what)
    if w.progress_bar.maximum() != total:
        w.progress_bar.setRange(0, total)
    w.progress_bar.setValue(done)
    if w.cancel_button.isHidden():
        for widget in (w.progress_label, w.progress_bar, w.cancel_button):
            widget.show()


def hide_progress(w) -> None:
    """Hide the progress widgets (loading stopped)."""
    for widget in (w.progress_label, w.progress_bar, w.cancel_button):
        widget.hide()
