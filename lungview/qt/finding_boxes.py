"""The AI's lesion findings drawn as boxes in every plane: on the axial slices they span, their extent elsewhere."""

from PySide6.QtCore import QObject

from lungview.detection.lesions import SeriesLesions
from lungview.planes.boxes import axial_boxes


class FindingBoxes(QObject):
    """Keeps the findings of the series on ``window`` and draws them while ``window.boxes_action`` is checked."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._lesions: SeriesLesions | None = None
        self._series_key: str | None = None
        """The key of the series the findings were shown on: the stacks of one series UID share the UID."""

    def lesions(self) -> SeriesLesions | None:
        """The findings drawn now (None: none)."""
        return self._lesions

    def show(self, lesions: SeriesLesions | None) -> None:
        """Draw ``lesions``; None, or findings of another series than the one on screen, removes them."""
        series = self._window.current_series()
        same_series = series is not None and lesions is not None and lesions.series_uid == series.series_uid
        self._lesions = lesions if same_series else None
        self._series_key = series.key if same_series else None
        self.refresh()

    def forget_other_series(self) -> None:
        """Drop the findings unless they belong to the series on screen (call when the series changes)."""
        series = self._window.current_series()
        if self._lesions is not None and (series is None or self._series_key != series.key):
            self._lesions = None

    def refresh(self) -> None:
        """Redraw the boxes for the slice on screen and the coronal and sagittal planes (none while hidden)."""
        window = self._window
        shown = window.boxes_action.isChecked()
        lesions = self._lesions if shown else None
        view = window.view
        view.set_boxes(axial_boxes(lesions, window.displayed_index()) if view.has_image() else [])
        window.mpr.set_lesions(self._lesions, shown)
