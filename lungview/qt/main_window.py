"""The LungView main window: open, browse series, scroll, window, zoom, measure; never wait.

Hooks for panels that other modules add (the AI panel, :func:`lungview.qt.ai_controller.install_ai_panel`):

- :meth:`MainWindow.add_panel` docks a widget (right side by default);
- :meth:`MainWindow.add_slider_strip` puts a widget (a per-slice probability strip) right above the slice slider,
  spanning the same width;
- :meth:`MainWindow.add_shortcut_action` makes an action's key work in the whole window and lists it under F1;
- :meth:`MainWindow.create_runner` gives a latest-request-wins :class:`~lungview.qt.runner.Runner` that the window
  shuts down when it closes;
- signals ``series_changed(Series)``, ``slice_changed(index)`` (the user moved) and ``slice_displayed(index)``
  (that slice's pixels are on screen; :meth:`current_image` returns them). For a slice already decoded,
  ``slice_displayed`` comes first, within the same call;
- ``window.view`` is the :class:`~lungview.qt.slice_view.SliceView`: ``set_overlay(rgba)`` draws an image
  registered on the slice at every zoom and pan, ``image_to_view`` / ``view_to_image`` map coordinates. The
  window removes the overlay whenever the slice or series changes, so it can never sit on the wrong slice;
- :meth:`MainWindow.show_lesions` draws the AI's lesion findings (a
  :class:`~lungview.detection.lesions.SeriesLesions`) in every plane; ``window.mpr`` is the
  :class:`~lungview.qt.mpr_controller.MprController` of the coronal and sagittal views (``mpr.views[plane]``);
- signal ``measurement_made(Measurement)``: a ruler or ROI was drawn in any plane (:meth:`last_measurement`);
- ``window.series_jump.open(folder, locate)`` opens a folder and then shows the series and slice ``locate``
  finds in its scan (:class:`~lungview.qt.series_jump.SeriesJump`);
- ``window.loader.store`` is the :class:`~lungview.dicom.SliceStore` of the current series (``get``/``load`` any
  slice, e.g. for series triage), ``window.toolbar`` and ``window.view_menu`` take more actions.
"""


import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QSlider,
    QWidget,
)

from lungview import __version__
from lungview.annotations.loading import image_series_only
from lungview.detection.lesions import SeriesLesions
from lungview.dicom.process_decode import shutdown_decode_pool
from lungview.findings.measurement import Measurement
from lungview.qt import central_area, open_dialogs, overlays, status_bar, window_actions
from lungview.qt.cine import CineController
from lungview.qt.errors import show_error
from lungview.qt.finding_boxes import FindingBoxes
from lungview.qt.measurement_controller import MeasurementController
from lungview.qt.mpr_controller import MprController
from lungview.qt.runner import Runner
from lungview.qt.series_browser import SeriesBrowser
from lungview.qt.series_jump import SeriesJump
from lungview.qt.series_loader import SeriesLoader, default_window
from lungview.qt.shortcuts_dialog import ShortcutsDialog, shortcut_rows
from lungview.qt.skipped_panel import SkippedFilesPanel
from lungview.qt.slice_view import SliceView
from lungview.qt.tag_dialog import TagDialog, show_slice_tags
from lungview.volume import ScanResult, Series
from lungview.windowing import PRESETS, Window, apply_window


def default_settings() -> QSettings:
    """The user's settings (organisation and application "LungView")."""
    return QSettings("LungView", "LungView")


def main_series_index(series: tuple[Series, ...]) -> int:
    """The series to open first: the one with the most slices (the diagnostic stack rather than a scout)."""
    return max(range(len(series)), key=lambda index: (len(series[index]), -index))


class MainWindow(QMainWindow):
    """The viewer window. See the module docstring for the hooks other panels use."""

    series_changed = Signal(object)
    slice_changed = Signal(int)
    slice_displayed = Signal(int)
    scan_finished = Signal(object)
    loading_finished = Signal()
    measurement_made = Signal(object)

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"LungView {__version__}")
        self.setAcceptDrops(True)
        self.resize(1280, 860)
        self._settings = settings if settings is not None else default_settings()
        self._scan: ScanResult | None = None
        self._series: Series | None = None
        self._index = 0
        self._displayed_index: int | None = None
        self._displayed_image: np.ndarray | None = None
        self._runners: list[Runner] = []
        self._shortcut_actions: list[QAction] = []
        self.tag_dialog: TagDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None

        self.loader = SeriesLoader(self)
        self.view = SliceView(self)
        self.view.setObjectName("axial-view")
        self.mpr = MprController(self)
        self.series_browser = SeriesBrowser(self)
        self.skipped_panel = SkippedFilesPanel(self)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.finding_boxes = FindingBoxes(self)
        self.measurements = MeasurementController(self)
        self.series_jump = SeriesJump(self)

        window_actions.create_actions(self)
        window_actions.create_menus(self)
        window_actions.create_toolbar(self)
        central_area.create_central(self)
        self.cine = CineController(self, self.play_action, self.fps_box)
        self._create_docks()
        status_bar.create_status_bar(self)
        self._connect()
        self.set_identifiers_hidden(self._settings.value("hide_identifiers", False, type=bool))
        self._update_enabled()

    # ================================================================ hooks
    def add_panel(
        self, widget: QWidget, title: str, area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea
    ) -> QDockWidget:
        """Dock ``widget`` under ``title`` (right side by default) and list it in the View menu."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def add_slider_strip(self, widget: QWidget) -> None:
        """Place ``widget`` directly above the slice slider, spanning the same width."""
        self._strip_layout.addWidget(widget)

    def add_shortcut_action(self, action: QAction) -> None:
        """Make ``action``'s shortcut work anywhere in the window and list it under Help > Keyboard shortcuts."""
        self.addAction(action)
        self._shortcut_actions.append(action)

    def create_runner(self, name: str) -> Runner:
        """A latest-request-wins runner owned by the window and shut down when it closes."""
        runner = Runner(name, self)
        self._runners.append(runner)
        return runner

    def current_series(self) -> Series | None:
        """The series on screen, or None before one is open."""
        return self._series

    def current_index(self) -> int:
        """Index of the slice the user is on (its pixels may still be decoding)."""
        return self._index

    def current_image(self) -> np.ndarray | None:
        """Pixels of the slice on screen (HU or grey), or None while it is decoding or could not be decoded."""
        return self._displayed_image if self._displayed_index == self._index else None

    def displayed_index(self) -> int:
        """Index of the slice whose pixels (or decode failure) are on screen; the current index before any."""
        return self._displayed_index if self._displayed_index is not None else self._index

    def scan_result(self) -> ScanResult | None:
        """Everything the last scan found: the series and the skipped files."""
        return self._scan

    def last_measurement(self) -> Measurement | None:
        """The ruler or ROI drawn last in any plane, with its values; None since the series opened."""
        return self.measurements.last()

    def show_lesions(self, lesions: SeriesLesions | None) -> None:
        """Draw the AI's lesion findings in every plane: boxes on the axial slices they span, their z-extent on the
        coronal and sagittal views. None, or findings of another series, removes them."""
        self.finding_boxes.show(lesions)

    def lesions(self) -> SeriesLesions | None:
        """The lesion findings drawn now (None: none)."""
        return self.finding_boxes.lesions()

    def identifiers_hidden(self) -> bool:
        """True while patient name, ID and birth date are hidden (teaching, screenshots, exports)."""
        return self.hide_identifiers_action.isChecked()

    # ============================================================== opening
    def open_paths(self, paths: list[str]) -> None:
        """Open folders or files in the background (the current series stays until the new one is found)."""
        paths = [str(path) for path in paths]
        if not paths:
            return
        self.cine.stop()
        open_dialogs.remember_recent(self._settings, paths)
        window_actions.rebuild_recent_menu(self)
        self.loader.open(paths)

    def open_folder_dialog(self) -> None:
        """File → Open folder."""
        self.open_paths(open_dialogs.choose_folder(self))

    def open_files_dialog(self) -> None:
        """File → Open files."""
        self.open_paths(open_dialogs.choose_files(self))

    def open_worklist_dialog(self) -> None:
        """File → Open worklist (written by ``lungview triage``)."""
        from lungview.qt.worklist_dialog import open_worklist

        open_worklist(self)

    def select_series(self, index: int) -> None:
        """Show series ``index`` of the last scan, starting at its middle slice."""
        if self._scan is None or not 0 <= index < len(self._scan.series):
            return
        self.cine.stop()
        series = self._scan.series[index]
        self._series = series
        self._index = len(series) // 2
        self._displayed_index = None
        self._displayed_image = None
        self.series_browser.set_current(index)
        self.view.setFocus()  # Space+drag pans only while the view has the keyboard focus
        self.view.set_image(None)
        self.view.set_overlay(None)
        self.view.set_boxes([])
        self.measurements.clear()
        self.finding_boxes.forget_other_series()
        self.view.set_message("Loading…")
        self.view.set_edge_labels(overlays.edge_labels(series))
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(series) - 1)
        self.slider.setValue(self._index)
        self.slider.blockSignals(False)
        self.stored_window_action.setEnabled(series.stored_window is not None)
        self.set_window(default_window(series))
        self._update_overlay_text()
        self._update_enabled()
        self.loader.select_series(series, self._index)
        self.series_changed.emit(series)
        self.slice_changed.emit(self._index)

    def recent_folders(self) -> list[str]:
        """Folders opened lately, newest first."""
        return open_dialogs.recent_folders(self._settings)

    # =========================================================== navigation
    def set_slice(self, index: int) -> None:
        """Go to slice ``index`` (clamped); shows it at once when decoded, else asks for it."""
        if self._series is None:
            return
        index = min(max(int(index), 0), len(self._series) - 1)
        if index == self._index:
            return
        self._index = index
        self.view.set_overlay(None)  # an overlay belongs to one slice: never leave it on the next
        self.view.set_boxes([])
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        image = self.loader.store.get(index) if self.loader.store is not None else None
        if image is not None:
            self._display(index, image)
        else:
            failure = self.loader.store.failed(index) if self.loader.store is not None else None
            if failure:
                self._on_slice_failed(index, failure)
            else:
                self.view.set_message("Loading…")
                self.loader.request_slice(index)
        self.slice_changed.emit(index)

    def step_slice(self, steps: int) -> None:
        """Move ``steps`` slices forward (negative: back)."""
        self.set_slice(self._index + steps)

    def set_window(self, window: Window) -> None:
        """Display every plane through ``window``; the matching preset button lights up."""
        self.view.set_window(window)
        self.mpr.set_window(window)
        self._on_window_changed(window)

    def set_layout(self, name: str) -> None:
        """Show the planes as ``1x1`` (one plane), ``1x3`` or ``2x2`` (axial, coronal and sagittal)."""
        self.mpr.set_layout(name)
        self._sync_layout_actions()

    def set_plane(self, plane: str) -> None:
        """Show ``plane`` (``axial``, ``coronal`` or ``sagittal``) alone."""
        self.mpr.set_plane(plane)
        self._sync_layout_actions()

    def set_tool(self, kind: str) -> None:
        """The left button draws ``kind`` (ruler, rectangle, ellipse, polygon) in every view; "" moves the crosshair."""
        for action_kind, action in self.tool_actions.items():
            action.setChecked(action_kind == kind)
        for view in self.mpr.views.values():
            view.set_tool(kind)

    def apply_preset(self, name: str) -> None:
        """Display through the preset window ``name`` (a key of :data:`lungview.windowing.PRESETS`)."""
        self.set_window(PRESETS[name])

    def apply_stored_window(self) -> None:
        """Display through the window stored in the series' files, if it has one."""
        if self._series is not None and self._series.stored_window is not None:
            self.set_window(self._series.stored_window)

    def _display(self, index: int, image: np.ndarray) -> None:
        self._displayed_index = index
        self._displayed_image = image
        spacing = self._series.slices[index].pixel_spacing if self._series else None
        self.view.set_image(image, spacing)
        self.view.set_message("")
        self.finding_boxes.refresh()
        self._update_overlay_text()
        if index == len(self._series) // 2:
            thumbnail = apply_window(image, default_window(self._series))
            self.series_browser.set_thumbnail(self.series_browser.currentRow(), thumbnail)
        self.slice_displayed.emit(index)

    def _create_docks(self) -> None:
        self.series_dock = self.add_panel(self.series_browser, "Series", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.skipped_dock = self.add_panel(self.skipped_panel, "Skipped files", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.skipped_dock.hide()
        self.resizeDocks([self.series_dock], [210], Qt.Orientation.Horizontal)

    def _connect(self) -> None:
        self.loader.scanned.connect(self._on_scanned)
        self.loader.slice_loaded.connect(self._on_slice_loaded)
        self.loader.slice_failed.connect(self._on_slice_failed)
        self.loader.progressed.connect(lambda what, done, total: status_bar.show_progress(self, what, done, total))
        self.loader.stopped.connect(self._on_loading_stopped)
        self.loader.thumbnail_decoded.connect(self.series_browser.set_thumbnail)
        self.loader.failed.connect(self._on_failed)
        self.series_browser.series_selected.connect(self.select_series)
        self.slider.valueChanged.connect(self.set_slice)
        self.view.slice_step_requested.connect(self.step_slice)
        self.view.window_changed.connect(self._on_window_changed)
        self.view.window_changed.connect(self.mpr.set_window)
        self.view.view_changed.connect(self._update_overlay_text)
        self.view.hovered.connect(self._on_hovered)
        for plane, view in self.mpr.views.items():
            if plane != "axial":
                view.window_changed.connect(self.set_window)
                view.hovered.connect(lambda row, col, v=view: self._show_value(v.image(), row, col))
        self.series_changed.connect(self.mpr.set_series)
        self.slice_changed.connect(self.mpr.on_slice_changed)
        self.mpr.volume_ready.connect(lambda _volume: self.finding_boxes.refresh())
        self.measurements.measurement_made.connect(self.measurement_made)

    # ================================================================ slots
    @Slot(object)
    def _on_scanned(self, result: ScanResult) -> None:
        result = image_series_only(result)  # SEG and RTSTRUCT objects are drawn over their series, not listed apart
        self._scan = result
        self.skipped_panel.set_skipped(result.skipped)
        self.skipped_button.setText(f"{len(result.skipped)} file(s) skipped — show")
        self.skipped_button.setVisible(bool(result.skipped))
        self.series_browser.set_series(result.series)
        self.scan_finished.emit(result)
        if not result.series:
            self._series = None
            self._displayed_index = self._displayed_image = None
            self.view.set_image(None)
            self.view.set_edge_labels({})
            for corner in ("top_left", "top_right", "bottom_left"):
                self.view.set_corner_text(corner, [])
            self.view.set_message("No images found in what was opened.\nSee the list of skipped files.")
            self.skipped_dock.setVisible(bool(result.skipped))
            self._update_enabled()
            return
        if len(result.series) > 1:
            self.loader.request_thumbnails(result.series)
        self.select_series(main_series_index(result.series))

    @Slot(int, object)
    def _on_slice_loaded(self, index: int, image: np.ndarray) -> None:
        if index == self._index:
            self._display(index, image)

    @Slot(int, str)
    def _on_slice_failed(self, index: int, reason: str) -> None:
        if index != self._index:
            return
        self._displayed_index = index
        self._displayed_image = None
        self.view.set_image(None)
        self.view.set_message(f"Slice {index + 1} could not be decoded:\n{reason}")
        self._update_overlay_text()

    @Slot()
    def _on_loading_stopped(self) -> None:
        status_bar.hide_progress(self)
        self.loading_finished.emit()

    @Slot(str, object)
    def _on_failed(self, sentence: str, error: Exception) -> None:
        show_error(sentence, error, self)

    @Slot(object)
    def _on_window_changed(self, window: Window) -> None:
        for name, action in self.preset_actions.items():
            action.setChecked(PRESETS[name] == window)
        stored = self._series.stored_window if self._series is not None else None
        self.stored_window_action.setChecked(stored is not None and stored == window)
        self._update_overlay_text()

    @Slot(int, int)
    def _on_hovered(self, row: int, col: int) -> None:
        self._show_value(self.current_image(), row, col)

    def _show_value(self, image: np.ndarray | None, row: int, col: int) -> None:
        has_hu = self._series is not None and self._series.has_hu
        self.hu_label.setText(status_bar.value_text(image, row, col, has_hu))

    def active_view(self) -> SliceView:
        """The view with the keyboard focus (the axial view when none has it)."""
        focused = self.focusWidget()
        return focused if focused in self.mpr.views.values() else self.view

    def toggle_tool(self, kind: str, on: bool) -> None:
        """A tool's action was checked (``on``) or unchecked: draw with it, or with none once all are off."""
        if on:
            self.set_tool(kind)
        elif all(not action.isChecked() for action in self.tool_actions.values()):
            self.set_tool("")

    def _sync_layout_actions(self) -> None:
        self.layout_actions[self.mpr.grid.layout_name()].setChecked(True)

    def set_identifiers_hidden(self, hidden: bool) -> None:
        """Hide (or show) patient name, ID and birth date, remembered in the settings."""
        self.hide_identifiers_action.setChecked(hidden)
        self._settings.setValue("hide_identifiers", hidden)
        self._update_overlay_text()

    def show_skipped(self) -> None:
        """Show the list of files the scan skipped."""
        self.skipped_dock.show()
        self.skipped_dock.raise_()

    def reset_view(self) -> None:
        """Fit the axial view, drop its shape and return to the series' default window."""
        self.view.reset_view()
        if self._series is not None:
            self.set_window(default_window(self._series))

    def show_tags(self) -> None:
        """Open the searchable DICOM tags of the current slice."""
        if self._series is not None:
            self.tag_dialog = show_slice_tags(self._series, self._index, self) or self.tag_dialog

    def show_shortcuts(self) -> None:
        """Help → Keyboard shortcuts, built from the actions themselves so it never goes out of date."""
        self.shortcuts_dialog = ShortcutsDialog(shortcut_rows(self._shortcut_actions), self)
        self.shortcuts_dialog.show()

    def _update_overlay_text(self) -> None:
        series = self._series
        self.view.set_corner_text("bottom_right", [f"LungView {__version__}"])
        if series is None:
            return
        self.view.set_corner_text("top_left", overlays.identity_lines(series.patient, self.identifiers_hidden()))
        index = self.displayed_index()
        self.view.set_corner_text("top_right", overlays.series_lines(series) + overlays.slice_lines(series, index))
        self.view.set_corner_text(
            "bottom_left", overlays.view_lines(self.view.window, self.view.zoom_percent(), series.has_hu)
        )

    def _update_enabled(self) -> None:
        has_series = self._series is not None
        for action in (
            self.tags_action,
            self.play_action,
            self.fit_action,
            self.one_to_one_action,
            self.reset_view_action,
            *self.tool_actions.values(),
            *self.layout_actions.values(),
            *self.plane_actions.values(),
            *self.preset_actions.values(),
        ):
            action.setEnabled(has_series)
        self.slider.setEnabled(has_series)
        if not has_series:
            self.stored_window_action.setEnabled(False)

    # ================================================================ Qt
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Stop the cine, every worker thread and the decode processes before the window goes."""
        self.cine.stop()
        self.loader.shutdown()
        for runner in self._runners:
            runner.shutdown()
        shutdown_decode_pool()  # after the loader: its threads may be waiting on a slice in a worker process
        self._settings.sync()
        super().closeEvent(event)
