"""Opening a series end to end (header scan, then every slice decoded to HU) against plain pydicom on the same files.

Plain pydicom is ``[dcmread(path).pixel_array for path in files]``: it reads each file once and keeps raw stored
values, without sorting, checking geometry or converting to HU, so it is the fastest anyone can get the pixels.
"""

import tempfile
from pathlib import Path

from lungview.bench.decode import _best_of_interleaved, default_source, make_benchmark_series


def run_open_benchmark(slices: int = 300, source: Path | None = None, rounds: int = 3) -> dict[str, float]:
    """Best-of-``rounds`` seconds for LungView to scan and decode ``slices`` files and for plain pydicom; their ratios.

    The one-thread ratio is also given in process CPU time, the steadier figure on a busy machine.
    """
    import pydicom

    from lungview.dicom import SliceStore, scan_paths

    with tempfile.TemporaryDirectory(prefix="lungview-bench-open-") as folder:
        files = make_benchmark_series(source or default_source(), Path(folder), slices)

        def plain_pydicom() -> None:
            volume = [pydicom.dcmread(path).pixel_array for path in files]  # noqa: F841 - held, as a viewer holds it
            del volume

        def scan_only() -> None:
            scan_paths([folder])

        def lungview_one_thread() -> None:
            SliceStore(scan_paths([folder]).series[0], workers=1).prefetch(range(slices))

        def lungview_two_threads() -> None:
            SliceStore(scan_paths([folder]).series[0], workers=2).prefetch(range(slices))

        best = _best_of_interleaved(
            {"plain": plain_pydicom, "scan": scan_only, "one": lungview_one_thread, "two": lungview_two_threads}, rounds
        )
    (plain_s, plain_cpu), (one_s, one_cpu) = best["plain"], best["one"]
    return {
        "slices": float(slices),
        "plain_pydicom_s": plain_s,
        "scan_s": best["scan"][0],
        "scan_and_decode_s": one_s,
        "scan_and_decode_two_threads_s": best["two"][0],
        "ratio_one_thread": plain_s / one_s,
        "ratio_one_thread_cpu_time": plain_cpu / one_cpu,
        "ratio_two_threads": plain_s / best["two"][0],
    }
