"""Background loading for the viewer: scan the paths, decode the shown slice first, then prefetch the rest.

Three :class:`~lungview.qt.runner.Runner` threads, each where the latest request wins: ``scan`` (headers of every
file), ``slice`` (the one slice the user is looking at, so fast scrolling only decodes where it stops) and
``prefetch`` (every other slice, nearest first, with progress and Cancel).
"""

from PySide6.QtCore import QObject, Signal, Slot

from lungview.dicom import DecodeError, SliceStore, read_slice, scan_paths
from lungview.qt.runner import Runner
from lungview.volume import ScanResult, Series
from lungview.windowing import GREY_8BIT, PRESETS, apply_window


def nearest_first(count: int, start: int) -> list[int]:
    """Slice indices ordered by distance from ``start``: the order to prefetch in while the user looks at it."""
    return sorted(range(count), key=lambda index: (abs(index - start), index))


def load_slice(store: SliceStore, index: int) -> tuple[int, object, str]:
    """Job: decode slice ``index`` (or take it from the cache): (index, image or None, reason it failed)."""
    try:
        return index, store.load(index), ""
    except DecodeError as error:
        return index, None, str(error)


def prefetch_slices(store: SliceStore, order: list[int], progress, cancelled) -> int:
    """Job: decode ``order`` into ``store``; progress counts decoded slices. Returns how many were decoded."""
    decoded = [0]

    def on_decoded(_index: int) -> None:
        decoded[0] += 1  # list.__iadd__ under the GIL; the count only drives a progress bar
        progress(decoded[0], len(order))

    store.prefetch(order, on_decoded=on_decoded, cancelled=cancelled)
    return decoded[0]


def make_thumbnails(series: tuple[Series, ...], progress, cancelled) -> list[tuple[int, object]]:
    """Job: the middle slice of each series through its default window, as (position in ``series``, uint8 image)."""
    thumbnails = []
    for position, entry in enumerate(series):
        if cancelled():
            break
        try:
            image = read_slice(entry, len(entry) // 2)
        except DecodeError:
            continue
        thumbnails.append((position, apply_window(image, default_window(entry))))
        progress(position + 1, len(series))
    return thumbnails


def default_window(series: Series):
    """Lung window for HU series (LungView is a chest-CT viewer), the full grey range otherwise."""
    return PRESETS["lung"] if series.has_hu else GREY_8BIT


class SeriesLoader(QObject):
    """Open paths and deliver slices of the chosen series to the GUI thread.

    Signals
    -------
    scanned(object)
        The :class:`~lungview.volume.ScanResult` of the opened paths.
    slice_loaded(int, object)
        Slice ``index`` of the current series decoded (a float32 array).
    slice_failed(int, str)
        Slice ``index`` could not be decoded; the reason.
    progressed(str, int, int)
        What is being done, how far, out of how many (0 of 0: busy without a count).
    stopped()
        Nothing is loading any more (done, cancelled or failed).
    thumbnail_decoded(int, object)
        A uint8 thumbnail image for the series at that position in the scan result.
    failed(str, object)
        A job failed unexpectedly: a plain sentence and the exception.
    """

    scanned = Signal(object)
    slice_loaded = Signal(int, object)
    slice_failed = Signal(int, str)
    progressed = Signal(str, int, int)
    stopped = Signal()
    thumbnail_decoded = Signal(int, object)
    failed = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scan_runner = Runner("scan", self)
        self._slice_runner = Runner("slice", self)
        self._prefetch_runner = Runner("prefetch", self)
        self._thumbnail_runner = Runner("thumbnails", self)
        self._store: SliceStore | None = None
        self._prefetch_pending_from: int | None = None
        self._scan_runner.connect_outcomes(self._on_scan_finished, self._on_scan_failed, self._on_scan_progressed)
        self._slice_runner.connect_outcomes(self._on_slice_finished, self._on_slice_failed)
        self._prefetch_runner.connect_outcomes(
            self._on_prefetch_finished,
            self._on_prefetch_failed,
            self._on_prefetch_progressed,
        )
        self._thumbnail_runner.finished.connect(self._on_thumbnails_finished)

    @property
    def store(self) -> SliceStore | None:
        """The slice cache of the current series."""
        return self._store

    def is_loading(self) -> bool:
        """True while scanning or prefetching (or about to prefetch)."""
        return self._scan_runner.is_busy() or self._prefetch_runner.is_busy() or self._prefetch_pending_from is not None

    def open(self, paths: list[str]) -> None:
        """Scan ``paths`` in the background; ``scanned`` follows."""
        self._cancel_background_work()  # no ``stopped`` here: loading goes on, with the new paths
        self.progressed.emit("Scanning", 0, 0)
        self._scan_runner.submit(scan_paths, list(paths), with_progress=True)

    def select_series(self, series: Series, first_index: int) -> SliceStore:
        """Make ``series`` current: decode ``first_index`` first, then prefetch the rest nearest first."""
        self._prefetch_runner.cancel()
        # One prefetch thread: the slice runner is a second decoder for the slice on screen, and on two cores
        # a third GIL-hungry thread measurably lengthens the GUI thread's longest stall (lungview.bench.gui).
        self._store = SliceStore(series, workers=1)
        self._prefetch_pending_from = first_index
        self.progressed.emit("Loading slices", 0, len(series))
        self.request_slice(first_index)
        return self._store

    def request_slice(self, index: int) -> None:
        """Decode slice ``index`` of the current series; supersedes an earlier request still waiting."""
        if self._store is not None:
            self._slice_runner.submit(load_slice, self._store, index)

    def request_thumbnails(self, series: tuple[Series, ...]) -> None:
        """Decode one thumbnail per series in the background; ``thumbnail_decoded`` follows for each."""
        self._thumbnail_runner.submit(make_thumbnails, series, with_progress=True)

    def cancel(self) -> None:
        """Stop scanning and prefetching; slices the user asks for still load one by one."""
        was_loading = self.is_loading()
        self._cancel_background_work()
        if was_loading:
            self.stopped.emit()

    def _cancel_background_work(self) -> None:
        self._scan_runner.cancel()
        self._prefetch_runner.cancel()
        self._thumbnail_runner.cancel()
        self._prefetch_pending_from = None

    def shutdown(self) -> None:
        """Cancel everything and end every worker thread."""
        for runner in (self._scan_runner, self._slice_runner, self._prefetch_runner, self._thumbnail_runner):
            runner.shutdown()

    def _start_prefetch(self, start: int) -> None:
        self._prefetch_pending_from = None
        order = nearest_first(len(self._store.series), start)
        self._prefetch_runner.submit(prefetch_slices, self._store, order, with_progress=True)

    @Slot(int, object)
    def _on_scan_finished(self, _generation: int, result: ScanResult) -> None:
        self.scanned.emit(result)
        if not result.series:
            self.stopped.emit()

    @Slot(int, object)
    def _on_scan_failed(self, _generation: int, error: Exception) -> None:
        self.failed.emit("LungView could not read the files you opened.", error)
        self.stopped.emit()

    @Slot(int, int, int)
    def _on_scan_progressed(self, _generation: int, done: int, total: int) -> None:
        self.progressed.emit("Scanning", done, total)

    @Slot(int, object)
    def _on_slice_finished(self, _generation: int, result: tuple[int, object, str]) -> None:
        index, image, reason = result
        if image is None:
            self.slice_failed.emit(index, reason)
        else:
            self.slice_loaded.emit(index, image)
        if self._prefetch_pending_from is not None:
            self._start_prefetch(index)  # around the slice the user is on now

    @Slot(int, object)
    def _on_slice_failed(self, _generation: int, error: Exception) -> None:
        self.failed.emit("LungView could not show this slice.", error)
        if self._prefetch_pending_from is not None:
            self._start_prefetch(self._prefetch_pending_from)

    @Slot(int, int, int)
    def _on_prefetch_progressed(self, _generation: int, done: int, total: int) -> None:
        self.progressed.emit("Loading slices", done, total)

    @Slot(int, object)
    def _on_prefetch_finished(self, _generation: int, _decoded: int) -> None:
        self.stopped.emit()

    @Slot(int, object)
    def _on_prefetch_failed(self, _generation: int, error: Exception) -> None:
        self.failed.emit("LungView could not load this series.", error)
        self.stopped.emit()

    @Slot(int, object)
    def _on_thumbnails_finished(self, _generation: int, thumbnails: list[tuple[int, object]]) -> None:
        for position, image in thumbnails:
            self.thumbnail_decoded.emit(position, image)
