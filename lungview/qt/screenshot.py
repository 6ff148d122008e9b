"""Render the real main window offscreen on a series and save it as a PNG (``lungview screenshot``)."""

import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QSettings, QSize, QTimer, SignalInstance

from lungview.annotations.loading import SeriesAnnotations
from lungview.detection.lesions import SeriesLesions
from lungview.qt.ai_controller import install_ai_panel
from lungview.qt.ai_screenshot import show_ai_result
from lungview.qt.annotation_layer import install_annotations
from lungview.qt.app import application
from lungview.qt.events import process_events
from lungview.qt.main_window import MainWindow
from lungview.windowing import PRESETS

WAIT_MS = 120_000
#: Window size of a screenshot when the caller gives none.
DEFAULT_SIZE = QSize(1200, 800)


class ScreenshotError(Exception):
    """The screenshot could not be made; the message says why in a sentence."""


def _show_planes(window: MainWindow, point: tuple[int, int] | None) -> None:
    """Switch ``window`` to the 1×3 layout, wait for the reformat, cross the planes at axial ``point``."""
    window.set_layout("1x3")
    if window.mpr.volume() is None and not window.mpr.problem():
        _wait_for(window.mpr.build_ended, "the coronal and sagittal views")
    if window.mpr.problem():
        raise ScreenshotError(window.mpr.problem())
    series = window.current_series()
    row, col = point if point is not None else (series.rows // 2, series.columns // 2)
    window.mpr.select_point("axial", row + 0.5, col + 0.5)


def _wait_until(condition, what: str) -> None:
    """Run the event loop until ``condition()`` is true."""
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    timer.start(20)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(WAIT_MS)
    if not condition():
        loop.exec()
    timer.stop()
    if not condition():
        raise ScreenshotError(f"gave up waiting for {what} after {WAIT_MS // 1000} s")


def busiest_slice(annotations: SeriesAnnotations | None) -> int | None:
    """The slice index where the annotations cover the most pixels, or None when there are none."""
    area: dict[int, int] = {}
    for overlay in annotations.overlays if annotations is not None else ():
        for region in overlay.regions:
            for index, mask in region.slices.items():
                area[index] = area.get(index, 0) + int(mask.crop.sum())
    return max(area, key=lambda index: (area[index], -index)) if area else None


def annotation_centre(annotations: SeriesAnnotations | None, index: int | None) -> tuple[int, int] | None:
    """The (row, col) centre of the annotation pixels on slice ``index``, or None."""
    rows = cols = count = 0
    for overlay in annotations.overlays if annotations is not None and index is not None else ():
        for region in overlay.regions:
            mask = region.slices.get(index)
            if mask is not None:
                found_rows, found_cols = np.nonzero(mask.crop)
                rows += int(found_rows.sum()) + mask.row * found_rows.size
                cols += int(found_cols.sum()) + mask.col * found_cols.size
                count += found_rows.size
    return (rows // count, cols // count) if count else None


def _wait_for(signal: SignalInstance, what: str) -> list:
    """Run the event loop until ``signal`` fires; return its arguments."""
    loop = QEventLoop()
    received: list = []

    def on_signal(*args) -> None:
        received.append(args)
        loop.quit()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    signal.connect(on_signal)
    timer.start(WAIT_MS)
    loop.exec()
    signal.disconnect(on_signal)
    if not received:
        raise ScreenshotError(f"gave up waiting for {what} after {WAIT_MS // 1000} s")
    return list(received[0])


def save_screenshot(
    paths: list[str],
    out: str,
    index: int | None = None,
    window_name: str | None = None,
    hide_identifiers: bool = False,
    size: QSize | None = None,
    ai: bool = False,
    cam: bool = False,
    layout: str = "axial",
    lesions: SeriesLesions | None = None,
    point: tuple[int, int] | None = None,
    annotations: bool = False,
) -> None:
    """Open ``paths`` in a :class:`MainWindow`, go to slice ``index`` (from 0), window it, save ``out``.

    ``ai`` adds the AI panel with the slice's classification; ``cam`` also draws the attention overlay.
    ``layout="mpr"`` shows the axial, coronal and sagittal views side by side, crossing at axial pixel ``point``
    (row, col; default: the centre); ``lesions`` are drawn in every plane (:meth:`MainWindow.show_lesions`).
    ``annotations`` draws the SEG and RTSTRUCT objects of the series (without ``index``: on the slice where they
    cover the most pixels).

    Raises
    ------
    ScreenshotError
        When no series is found, the slice number is out of range, or the PNG cannot be written.
    """
    application()
    scratch = tempfile.TemporaryDirectory(prefix="lungview-screenshot-")
    # Throw-away settings: a screenshot neither reads nor changes the user's recent folders or toggles.
    settings = QSettings(str(Path(scratch.name) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    ai_controller = install_ai_panel(window) if ai or cam else None
    layer = install_annotations(window) if annotations else None
    try:
        window.resize(size if size is not None else DEFAULT_SIZE)
        window.show()
        window.hide_identifiers_action.setChecked(hide_identifiers)
        window.open_paths(list(paths))
        (result,) = _wait_for(window.scan_finished, "the scan")
        if not result.series:
            raise ScreenshotError(f"no series found in {', '.join(paths)} ({len(result.skipped)} file(s) skipped)")
        if window.loader.is_loading():
            _wait_for(window.loading_finished, "the series to load")
        series = window.current_series()
        if layer is not None:
            _wait_until(lambda: not layer.is_loading(), "the annotations")
            if index is None:
                index = busiest_slice(layer.annotations())
            if point is None:
                point = annotation_centre(layer.annotations(), index)
        if index is not None:
            if not 0 <= index < len(series):
                raise ScreenshotError(f"--index must be from 0 to {len(series) - 1} for this series")
            window.set_slice(index)
        if window.current_image() is None:
            _wait_for(window.slice_displayed, "the slice to be decoded")
        if layout == "mpr":
            _show_planes(window, point)
        window.show_lesions(lesions)
        if window_name == "stored":
            if series.stored_window is None:
                raise ScreenshotError("this series has no stored window")
            window.apply_stored_window()
        elif window_name is not None:
            window.set_window(PRESETS[window_name])
        if ai_controller is not None and (problem := show_ai_result(ai_controller, cam)):
            raise ScreenshotError(problem)
        process_events()
        if not window.grab().save(out, "PNG"):
            raise ScreenshotError(f"could not write {out}")
    finally:
        window.close()
        window.deleteLater()
        del settings
        scratch.cleanup()
