"""Decode slices whose decoder holds the GIL in a small pool of worker processes, so other threads keep running.

pylibjpeg-openjpeg, pylibjpeg-libjpeg and Pillow keep Python's GIL for a whole JPEG 2000, JPEG-LS or JPEG
Lossless decode (55-130 ms for a 512×512 CT slice): decoded on a thread, such a slice stalls every other thread,
the viewer's GUI thread included. Uncompressed and RLE slices stay on threads: they take a few milliseconds.
The pool starts on first use ("spawn", which is safe beside Qt's threads) and is reused until
:func:`shutdown_decode_pool` (called when the viewer closes, and at exit).
"""

import atexit
import dataclasses
import multiprocessing
import os
import threading
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
from pydicom.filereader import read_file_meta_info
from pydicom.uid import JPEG2000TransferSyntaxes, JPEGLSTransferSyntaxes, JPEGTransferSyntaxes

from lungview.dicom.errors import DecodeError
from lungview.dicom.pixels import read_slice
from lungview.volume import Series, SliceRef

#: Transfer syntaxes whose decoders hold the GIL for the whole decode (measured for JPEG 2000 with pylibjpeg-openjpeg
#: and Pillow, JPEG-LS and JPEG Lossless with pylibjpeg-libjpeg; the other JPEG processes share that decoder).
GIL_HOLDING_TRANSFER_SYNTAXES = frozenset(JPEG2000TransferSyntaxes + JPEGLSTransferSyntaxes + JPEGTransferSyntaxes)
#: Worker processes: two slices decode at once where there are two cores (the viewer decodes its prefetch and the
#: slice on screen side by side).
WORKERS = min(2, os.cpu_count() or 1)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def decodes_in_process(ref: SliceRef) -> bool:
    """True when slice ``ref`` is stored in a transfer syntax that :func:`read_slice_in_process` should decode.

    Always False in a daemonic process (a Dask worker): it may not start children, and it has no GUI to keep
    responsive, so its slices decode on the calling thread.
    """
    if multiprocessing.current_process().daemon:
        return False
    try:
        transfer_syntax = read_file_meta_info(ref.path).get("TransferSyntaxUID")
    except Exception:  # noqa: BLE001 - not DICOM, no file meta, unreadable: read_slice on a thread says why
        return False
    return transfer_syntax in GIL_HOLDING_TRANSFER_SYNTAXES


def read_slice_in_process(series: Series, index: int, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`~lungview.dicom.pixels.read_slice`, run in a worker process; the same array and the same errors.

    A worker that dies (a decoder crashing on corrupt data) takes the pool with it: the pool is started afresh
    and the slice tried once more before it is reported as corrupt.

    Raises
    ------
    DecodeError
        With read_slice's reason; or when the slice crashed its worker twice, or the pool was shut down first.
    """
    one_slice = dataclasses.replace(series, slices=(series.slices[index],))  # pickled per job: keep it small
    for _attempt in range(2):
        pool, future = _submit(one_slice)
        try:
            image = future.result()
            break
        except BrokenProcessPool:
            _forget(pool)
        except CancelledError:
            raise DecodeError("decoding stopped before this slice was done: LungView was closing") from None
    else:
        raise DecodeError("the decoder stopped while reading this slice: the pixel data is probably corrupt")
    if out is None:
        return image
    out[...] = image
    return out


def shutdown_decode_pool() -> None:
    """End the worker processes (waiting for the slices they are decoding; queued ones are dropped).

    A later decode starts a new pool.
    """
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(one_slice: Series) -> tuple[ProcessPoolExecutor, Future]:
    """Queue the decode of ``one_slice`` on the pool (started when there is none); the pool and the future.

    Under the lock, so that :func:`shutdown_decode_pool` never sees a pool half way through a submit. A pool
    found broken gives a future holding that error, handled like a worker dying during the decode.
    """
    global _pool
    with _lock:
        is_new = _pool is None
        if is_new:
            _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
        try:
            future = _pool.submit(read_slice, one_slice, 0)
            if is_new:
                # Python spawns a worker per job that finds none idle: start the others now, so that they
                # load Python and the decoders while the first slice decodes.
                for _worker in range(WORKERS - 1):
                    _pool.submit(os.getpid)
        except BrokenProcessPool as broken:
            future = Future()
            future.set_exception(broken)
        return _pool, future


def _forget(pool: ProcessPoolExecutor) -> None:
    """Drop the broken ``pool`` so the next decode starts a new one (another thread may have done so already)."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False)


atexit.register(shutdown_decode_pool)
