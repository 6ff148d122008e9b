"""Open a folder in the main window, then show one of its series at one slice once the scan has ended.

Used to go from a worklist row or a saved finding to its images. The latest request wins: a second one before the
first folder's scan has ended replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot

if TYPE_CHECKING:
    from lungview.volume import ScanResult

Locate = Callable[["ScanResult"], "tuple[int, int | None] | None"]
"""Where to go in a scan: (series index in ``result.series``, slice index or None for the series' default), or
None when the scan does not hold it."""


def show_in_scan(window, series_index: int, slice_index: int | None) -> None:
    """Show series ``series_index`` of ``window``'s last scan (unless on screen already) at ``slice_index``."""
    series = window.scan_result().series[series_index]
    if window.current_series() is not series:
        window.select_series(series_index)
    if slice_index is not None:
        window.set_slice(slice_index)


class SeriesJump(QObject):
    """Opens folders in ``window`` (a MainWindow) and shows the place a request locates once each scan ends."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._pending: tuple[Locate, Callable[[], None] | None] | None = None
        # queued: the window selects its default series right after announcing the scan; this runs after that
        window.scan_finished.connect(self._on_scan_finished, Qt.ConnectionType.QueuedConnection)

    def open(self, folder: str, locate: Locate, not_found: Callable[[], None] | None = None) -> None:
        """Open ``folder``; when its scan ends, show where ``locate(result)`` points, else call ``not_found``."""
        self._pending = (locate, not_found)
        self._window.open_paths([folder])

    @Slot(object)
    def _on_scan_finished(self, result: ScanResult) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        locate, not_found = pending
        found = locate(result)
        if found is not None:
            show_in_scan(self._window, *found)
        elif not_found is not None:
            not_found()
