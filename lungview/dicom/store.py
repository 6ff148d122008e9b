"""A thread-safe, memory-bounded cache of one series' decoded slices, filled in the background."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lungview.dicom.errors import DecodeError
from lungview.dicom.pixels import read_slice
from lungview.dicom.process_decode import WORKERS as PROCESS_WORKERS
from lungview.dicom.process_decode import decodes_in_process, read_slice_in_process
from lungview.volume import Series

#: Decoded slices live in blocks of about this size, aligned to the 2 MiB huge pages that numpy asks the kernel
#: for (madvise) on arrays of 4 MiB and more: filling a block then costs a few page faults instead of one per
#: 4 KiB, which is most of the cost of writing a decoded slice to fresh memory.
BLOCK_BYTES = 32 * 1024**2
HUGE_PAGE_BYTES = 2 * 1024**2


class SliceStore:
    """Decoded slices of ``series``, least recently used ones dropped beyond ``max_bytes``.

    ``get`` never blocks on decoding; ``load`` decodes on the calling thread (a worker); ``prefetch`` decodes
    many slices with ``workers`` threads (pydicom's decoders and numpy release the GIL for much of the work).
    Slices whose decoder holds the GIL (JPEG 2000, JPEG-LS, JPEG) are decoded in worker processes instead
    (:mod:`lungview.dicom.process_decode`); the threads then only wait, and there are at least as many as processes.
    Two threads asking for the same slice decode it once. Slices are kept in blocks of neighbouring slices
    (see :data:`BLOCK_BYTES`); a block is dropped whole, and never exceeds a quarter of ``max_bytes``.
    """

    def __init__(self, series: Series, max_bytes: int = 2 * 1024**3, workers: int = 2) -> None:
        self.series = series
        self.max_bytes = max_bytes
        self.workers = max(1, workers)
        slice_bytes = max(1, series.rows * series.columns * 4)
        self._block_length = max(1, min(BLOCK_BYTES // slice_bytes, max_bytes // (4 * slice_bytes), len(series)))
        self._lock = threading.Lock()
        self._blocks: OrderedDict[int, np.ndarray] = OrderedDict()
        """Block number -> (block length, rows, columns) float32, least recently used first."""
        self._slices: dict[int, np.ndarray] = {}
        """Slice index -> its decoded view inside a block."""
        self._failures: dict[int, str] = {}
        self._decoding: dict[int, threading.Event] = {}

    def get(self, index: int) -> np.ndarray | None:
        """The decoded slice ``index`` if it is in the cache, else None (never decodes)."""
        with self._lock:
            image = self._slices.get(index)
            if image is not None:
                self._blocks.move_to_end(index // self._block_length)
            return image

    def failed(self, index: int) -> str | None:
        """Why slice ``index`` could not be decoded, or None."""
        with self._lock:
            return self._failures.get(index)

    @property
    def cached_bytes(self) -> int:
        """Bytes of the blocks of decoded slices held now."""
        with self._lock:
            return sum(block.nbytes for block in self._blocks.values())

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
                    self._blocks.move_to_end(index // self._block_length)
                    return image
                if index in self._failures:
                    raise DecodeError(self._failures[index])
                other_decoder = self._decoding.get(index)
                if other_decoder is None:
                    done = self._decoding[index] = threading.Event()
                    break
            other_decoder.wait()
        try:
            decode = read_slice_in_process if decodes_in_process(self.series.slices[index]) else read_slice
            image = decode(self.series, index, out=self._reserve(index))
        except DecodeError as error:
            with self._lock:
                self._failures[index] = error.reason
            raise
        finally:
            with self._lock:
                self._decoding.pop(index, None)
            done.set()
        return self._keep(index, image)

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

        def decode(index: int) -> None:
            if cancelled is None or not cancelled():
                self._load_and_report(index, on_decoded)

        order = list(order)
        threads = self.workers
        if order and decodes_in_process(self.series.slices[order[0]]):
            threads = max(threads, PROCESS_WORKERS)  # one waiting thread per worker process keeps them all busy
        # Everything is queued at once so that this thread sleeps until the end instead of taking the GIL
        # back after every slice; after a cancel the queued slices return at once.
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lungview-decode") as pool:
            futures = [pool.submit(decode, index) for index in order]
        for future in futures:
            future.result()  # a bug in a worker surfaces here instead of vanishing

    def _load_and_report(self, index: int, on_decoded: Callable[[int], None] | None) -> None:
        try:
            self.load(index)
        except DecodeError:
            pass  # kept for failed(); reported like a success so the caller can show it
        if on_decoded is not None:
            on_decoded(index)

    def _reserve(self, index: int) -> np.ndarray:
        """The place of slice ``index`` in its block (made if needed), to decode into."""
        number, offset = divmod(index, self._block_length)
        with self._lock:
            return self._block(number)[offset]

    def _keep(self, index: int, image: np.ndarray) -> np.ndarray:
        """Record ``image`` (decoded in its place, or copied there) and return the cached view.

        Drops least recently used blocks when over budget. A block dropped while the slice was decoding is
        made again, so the slice is kept all the same.
        """
        number, offset = divmod(index, self._block_length)
        with self._lock:
            cached = self._slices.get(index)
            if cached is not None:
                return cached
            view = self._block(number)[offset]
            if not np.may_share_memory(view, image):
                view[...] = image
            self._blocks.move_to_end(number)
            self._slices[index] = view
            self._drop_old_blocks()
            return view

    def _block(self, number: int) -> np.ndarray:
        """Block ``number``, made empty when it is not held. Holds the lock."""
        block = self._blocks.get(number)
        if block is None:
            length = min(self._block_length, len(self.series) - number * self._block_length)
            block = self._blocks[number] = huge_page_aligned_empty((length, self.series.rows, self.series.columns))
        return block

    def _drop_old_blocks(self) -> None:
        """Drop least recently used blocks (never the newest) until the blocks fit ``max_bytes``. Holds the lock."""
        held = sum(block.nbytes for block in self._blocks.values())
        while held > self.max_bytes and len(self._blocks) > 1:
            number, block = self._blocks.popitem(last=False)
            held -= block.nbytes
            first = number * self._block_length
            for index in range(first, first + len(block)):
                self._slices.pop(index, None)


def huge_page_aligned_empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float32 array starting on a huge-page boundary (the unused head is never touched)."""
    size = int(np.prod(shape)) * 4
    if size < 2 * HUGE_PAGE_BYTES:
        return np.empty(shape, dtype=np.float32)
    raw = np.empty(size + HUGE_PAGE_BYTES, dtype=np.uint8)
    start = -raw.ctypes.data % HUGE_PAGE_BYTES
    return raw[start : start + size].view(np.float32).reshape(shape)
