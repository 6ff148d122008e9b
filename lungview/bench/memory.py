"""Peak memory of the real viewer holding a 300-slice 512×512 series, measured in a fresh process.

The series is written to a temporary folder from the real slices (:func:`lungview.bench.decode.make_benchmark_series`);
the viewer opens it offscreen and reports its peak resident memory once every slice is decoded. The reference is
the series' own HU array (slices × rows × columns × 4 bytes): a viewer has to hold at least that much. The viewer
loads its AI model in the background meanwhile, so the peak includes torch and ONNX Runtime when they are loaded.
"""

import tempfile
from pathlib import Path

from lungview.bench.decode import default_source, make_benchmark_series
from lungview.bench.viewer_process import time_child


def run_memory_benchmark(slices: int = 300, source: Path | None = None) -> dict:
    """Peak RSS (MiB) of the viewer with the series loaded, against the HU array and a process with only Qt started."""
    with tempfile.TemporaryDirectory(prefix="lungview-bench-memory-") as scratch:
        folder = Path(scratch, "series")
        folder.mkdir()
        make_benchmark_series(source or default_source(), folder, slices)
        report = time_child(["--until", "loaded", str(folder)], Path(scratch))
    hu_array_mb = report["slices"] * report["rows"] * report["columns"] * 4 / 1024**2
    return {
        "slices": float(report["slices"]),
        "hu_array_mb": hu_array_mb,
        "rss_qt_started_mb": report["rss_qt_started_mb"],
        "peak_rss_mb": report["peak_rss_mb"],
        "peak_ratio_to_hu_array": report["peak_rss_mb"] / hu_array_mb,
        "load_s": report["wall_s"],
        "ai_libraries_loaded": report["ai_libraries_loaded"],
    }
