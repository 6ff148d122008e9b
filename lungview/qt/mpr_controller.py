"""Coronal and sagittal views linked to the axial one: build the reformat volume in the background, keep the
three planes crossing at one point, scroll each plane, draw the AI's findings in each.

The volume is built by :func:`build_reformat` on a latest-request-wins runner only once a layout shows a coronal or
sagittal view, so a user who stays in the axial view never pays its memory or time. The crosshair is one voxel:
the axial slice on screen (the main window's index), an axial row (the coronal plane) and an axial column (the
sagittal plane). Clicking or dragging in any view moves it; the other views follow at once.
"""

import math

from PySide6.QtCore import QObject, Signal, Slot

from lungview.detection.lesions import SeriesLesions
from lungview.dicom import DecodeError, SliceStore
from lungview.planes import REFORMAT_PLANES
from lungview.planes.boxes import reformat_boxes
from lungview.planes.reformat import ReformatError, ReformatVolume, stack_volume
from lungview.qt import overlays
from lungview.qt.errors import show_error
from lungview.qt.slice_view import SliceView
from lungview.qt.view_grid import ViewGrid
from lungview.volume import Series
from lungview.windowing import Window

BUILDING_MESSAGE = "Building the coronal and sagittal views…"


def build_reformat(store: SliceStore, series: Series, progress, cancelled) -> ReformatVolume | None:
    """Job: every slice of ``series`` (decoded through ``store``) as a :class:`ReformatVolume`; None if cancelled.

    Raises
    ------
    ReformatError
        When the geometry forbids reformatting or a slice cannot be decoded.
    """
    try:
        return stack_volume(store.load, series, cancelled, progress)
    except DecodeError as error:
        raise ReformatError(
            f"A slice could not be decoded, so coronal and sagittal views cannot be built: {error}"
        ) from error


class MprController(QObject):
    """Owns the coronal and sagittal views and the grid that lays out all three; wired by the main window.

    Signals
    -------
    volume_ready(object)
        The :class:`~lungview.planes.reformat.ReformatVolume` of the current series is built and shown.
    build_ended()
        Building ended, built (after ``volume_ready``) or refused (:meth:`problem` says why).
    """

    volume_ready = Signal(object)
    build_ended = Signal()

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self.views: dict[str, SliceView] = {"axial": window.view}
        for plane in REFORMAT_PLANES:
            self.views[plane] = SliceView(window)
            self.views[plane].setObjectName(f"{plane}-view")
        self.grid = ViewGrid(self.views, window)
        self._runner = window.create_runner("reformat")
        self._series: Series | None = None
        self._volume: ReformatVolume | None = None
        self._requested = False
        self._problem = ""
        self._position = {"coronal": 0, "sagittal": 0}
        self._lesions: SeriesLesions | None = None
        self._boxes_shown = True
        self._runner.connect_outcomes(self._on_built, self._on_build_failed, self._on_build_progressed)
        for plane, view in self.views.items():
            view.point_selected.connect(lambda row, col, p=plane: self.select_point(p, row, col))
        for plane in REFORMAT_PLANES:
            view = self.views[plane]
            view.slice_step_requested.connect(lambda steps, p=plane: self.step(p, steps))
            view.view_changed.connect(lambda p=plane: self._update_corner_text(p))

    # ================================================================ state
    def volume(self) -> ReformatVolume | None:
        """The reformat volume of the series on screen, or None until built (or when refused)."""
        return self._volume

    def problem(self) -> str:
        """Why the series cannot be reformatted ("" when it can)."""
        return self._problem

    def position(self, plane: str) -> int:
        """The axial row (``coronal``) or column (``sagittal``) the plane goes through."""
        return self._position[plane]

    def reformat_shown(self) -> bool:
        """True while the layout shows a coronal or sagittal view."""
        return any(plane in REFORMAT_PLANES for plane in self.grid.visible_planes())

    # =============================================================== inputs
    def set_layout(self, name: str) -> None:
        """Show the planes as ``1x1``, ``1x3`` or ``2x2``."""
        self.grid.set_layout(name)
        self._after_layout()

    def set_plane(self, plane: str) -> None:
        """Show ``plane`` alone (the 1×1 layout)."""
        self.grid.set_single_plane(plane)
        self.grid.set_layout("1x1")
        self._after_layout()
        self.views[plane].setFocus()

    def set_series(self, series: Series) -> None:
        """A new series is on screen: forget the old volume; build the new one if a reformat view shows."""
        self._runner.cancel()
        self._series = series
        self._volume = None
        self._requested = False
        self._problem = ""
        self._position = {"coronal": series.rows // 2, "sagittal": series.columns // 2}
        self.grid.legend.setText("")
        for plane in REFORMAT_PLANES:
            view = self.views[plane]
            view.set_image(None)
            view.set_boxes([])
            view.set_crosshair(None)
            view.set_message("")
            view.set_edge_labels(overlays.plane_edge_labels(series, plane))
            for corner in ("top_right", "bottom_left"):
                view.set_corner_text(corner, [])
        self._after_layout()

    def set_window(self, window: Window) -> None:
        """Display the coronal and sagittal planes through ``window`` (the axial view is set by the main window)."""
        for plane in REFORMAT_PLANES:
            self.views[plane].set_window(window)
            self._update_corner_text(plane)

    def set_lesions(self, lesions: SeriesLesions | None, shown: bool) -> None:
        """The AI's findings for the series on screen (None: none); ``shown`` false hides their boxes."""
        self._lesions = lesions
        self._boxes_shown = shown
        if self._volume is not None:
            for plane in REFORMAT_PLANES:
                self._update_boxes(plane)

    @Slot(int)
    def on_slice_changed(self, _index: int) -> None:
        """The axial slice moved: move the reference lines of the other planes."""
        self._update_crosshairs()

    def select_point(self, plane: str, row: float, col: float) -> None:
        """Move the crosshair to image point (``row``, ``col``) of ``plane``'s view; the other views follow."""
        volume = self._volume
        if volume is None or not self.reformat_shown():
            return
        if plane == "axial":
            self._move("coronal", math.floor(row))
            self._move("sagittal", math.floor(col))
        else:
            display_row = min(max(math.floor(row), 0), volume.planes - 1)
            other = "sagittal" if plane == "coronal" else "coronal"
            self._move(other, math.floor(col))
            self._window.set_slice(volume.slice_of_plane(volume.plane_at_display_row(display_row)))
        self._update_crosshairs()

    def step(self, plane: str, steps: int) -> None:
        """Move the coronal or sagittal plane by ``steps`` rows or columns."""
        if self._volume is not None:
            self._move(plane, self._position[plane] + steps)
            self._update_crosshairs()

    # ============================================================== private
    def _after_layout(self) -> None:
        if self.reformat_shown():
            self._ensure_volume()
        self._update_crosshairs()

    def _ensure_volume(self) -> None:
        store = self._window.loader.store
        if self._series is None or store is None or self._volume is not None or self._requested or self._problem:
            return
        self._requested = True
        for plane in REFORMAT_PLANES:
            self.views[plane].set_message(BUILDING_MESSAGE)
        self._runner.submit(build_reformat, store, self._series, with_progress=True)

    def _move(self, plane: str, position: int) -> None:
        position = min(max(int(position), 0), self._volume.plane_count(plane) - 1)
        if position != self._position[plane] or not self.views[plane].has_image():
            self._position[plane] = position
            self._show_plane(plane)

    def _show_plane(self, plane: str) -> None:
        volume, view = self._volume, self.views[plane]
        view.set_image(volume.plane_image(plane, self._position[plane]), volume.plane_spacing(plane))
        view.set_message("")
        self._update_boxes(plane)
        self._update_corner_text(plane)

    def _update_boxes(self, plane: str) -> None:
        lesions = self._lesions if self._boxes_shown else None
        self.views[plane].set_boxes(reformat_boxes(lesions, self._volume, plane, self._position[plane]))

    def _update_corner_text(self, plane: str) -> None:
        if self._volume is None or self._series is None:
            return
        view, volume = self.views[plane], self._volume
        lines = overlays.reformat_lines(
            plane, self._position[plane], volume.plane_count(plane), volume.step, volume.resampled
        )
        view.set_corner_text("top_right", lines)
        view.set_corner_text("bottom_left", overlays.view_lines(view.window, view.zoom_percent(), self._series.has_hu))

    def _update_crosshairs(self) -> None:
        volume = self._volume
        axial = self.views["axial"]
        if volume is None or not self.reformat_shown():
            axial.set_crosshair(None)
            return
        coronal, sagittal = self._position["coronal"], self._position["sagittal"]
        axial.set_crosshair((coronal + 0.5, sagittal + 0.5))
        row = volume.display_row(volume.plane_of_slice(self._window.current_index())) + 0.5
        self.views["coronal"].set_crosshair((row, sagittal + 0.5))
        self.views["sagittal"].set_crosshair((row, coronal + 0.5))

    @Slot(int, object)
    def _on_built(self, _generation: int, volume: ReformatVolume | None) -> None:
        if volume is None:
            return
        self._volume = volume
        for plane in REFORMAT_PLANES:
            self._show_plane(plane)
        self._update_crosshairs()
        self.grid.legend.setText(overlays.volume_legend(volume.spacing, len(volume.source_z), volume.resampled))
        self.volume_ready.emit(volume)
        self.build_ended.emit()

    @Slot(int, object)
    def _on_build_failed(self, _generation: int, error: Exception) -> None:
        self._requested = False
        if isinstance(error, ReformatError):
            self._problem = str(error)
            for plane in REFORMAT_PLANES:
                self.views[plane].set_message(self._problem)
            self.grid.legend.setText(self._problem)
        else:
            show_error("LungView could not build the coronal and sagittal views.", error, self._window)
        self.build_ended.emit()

    @Slot(int, int, int)
    def _on_build_progressed(self, _generation: int, done: int, total: int) -> None:
        for plane in REFORMAT_PLANES:
            self.views[plane].set_message(f"{BUILDING_MESSAGE}\n{done} of {total} slices")
