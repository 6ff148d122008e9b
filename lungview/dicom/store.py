"""A thread-safe, memory-bounded cache of one series' decoded slices, filled in the background."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import numpy as np

from lungview.dicom.errors import DecodeError
from lungview.dicom.pixels import read_slice
from lungview.volume import Series


class SliceStore:
    """Decoded slices of ``series``, least recently used ones dropped beyond ``max_bytes``.

    ``get`` never blocks on decoding; ``load`` decodes on the calling thread (a worker); ``prefetch`` decodes
    many slices with ``workers`` threads (pydicom's decoders and numpy release the GIL for much of the work).
    Two threads asking for the same slice decode it once.
    """

    def __init__(self, series: Series, max_bytes: int = 2 * 1024**3, workers: int = 2) -> None:
        self.series = series
        self.max_bytes = max_bytes
        self.workers = max(1, workers)
        self._lock = threading.Lock()
        self._slices: OrderedDict[int, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._failures: dict[int, str] = {}
        self._decoding: dict[int, threading.Event] = {}

    def get(self, index: int) -> np.ndarray | None:
        """The decoded slice ``index`` if it is in the cache, else None (never decodes)."""
        with self._lock:
            image = self._slices.get(index)
            if image is not None:
                self._slices.move_to_end(index)
            return image

    def failed(self, index: int) -> str | None:
        """Why slice ``index`` could not be decoded, or None."""
        with self._lock:
            return self._failures.get(index)

    @property
    def cached_bytes(self) -> int:
        """Bytes of decoded slices held now."""
        with self._lock:
            return self._bytes

    def load(self, index: int) -> np.ndarray:
        """Slice ``index``, decoded now on this thread when not cached.

        Raises
        ------
        DecodeError
            When the slice cannot be decoded (the reason is also kept for :meth:`failed`).
        IndexError
            When ``index`` is outside the series.
        """
        if not 0 <= index < len(self.series):
            raise IndexError(f"slice {index} is outside the series (0..{len(self.series) - 1})")
        while True:
            with self._lock:
                image = self._slices.get(index)
                if image is not None:
                    self._slices.move_to_end(index)
                    return image
                if index in self._failures:
                    raise DecodeError(self._failures[index])
                other_decoder = self._decoding.get(index)
                if other_decoder is None:
                    done = self._decoding[index] = threading.Event()
                    break
            other_decoder.wait()
        try:
            image = read_slice(self.series, index)
        except DecodeError as error:
            with self._lock:
                self._failures[index] = error.reason
            raise
        finally:
            with self._lock:
                self._decoding.pop(index, None)
            done.set()
        self._keep(index, image)
        return image

    def prefetch(
        self,
        order: Iterable[int],
        on_decoded: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        """Decode the slices in ``order`` in parallel; block until all are done or ``cancelled()`` is true.

        ``on_decoded(index)`` is called from a worker thread for each slice decoded or failed (then ``get``
        stays None and :meth:`failed` gives the reason). Slices already cached are reported at once.
        """
        pending = iter(order)
        in_flight: set[Future] = set()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="lungview-decode") as pool:
            while True:
                while len(in_flight) < 2 * self.workers and not (cancelled and cancelled()):
                    index = next(pending, None)
                    if index is None:
                        break
                    in_flight.add(pool.submit(self._load_and_report, index, on_decoded))
                if not in_flight:
                    return
                _, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)

    def _load_and_report(self, index: int, on_decoded: Callable[[int], None] | None) -> None:
        try:
            self.load(index)
        except DecodeError:
            pass  # kept for failed(); reported like a success so the caller can show it
        if on_decoded is not None:
            on_decoded(index)

    def _keep(self, index: int, image: np.ndarray) -> None:
        """Cache ``image``, dropping the least recently used slices beyond ``max_bytes``."""
        with self._lock:
            if index in self._slices:
                return
            self._slices[index] = image
            self._bytes += image.nbytes
            while self._bytes > self.max_bytes and len(self._slices) > 1:
                _, dropped = self._slices.popitem(last=False)
                self._bytes -= dropped.nbytes
