"""Coronal/sagittal benchmark: time to build the reformat and the GUI thread's longest stall while scrolling the
reformatted planes and dragging the crosshair, on a made-up 300-slice series. Target: longest stall <= 50 ms.

Run ``python -m lungview.bench.mpr`` (or ``lungview bench --only mpr``).
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from lungview.bench.gui import LONGEST_GAP_TARGET_MS, write_long_series


def run_mpr_benchmark(slices: int = 300) -> dict:
    """The figures of :func:`lungview.bench.mpr_timing.measure_mpr` on a ``slices``-slice series, and the target."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from lungview.bench.mpr_timing import measure_mpr

    with tempfile.TemporaryDirectory(prefix="lungview-bench-mpr-") as scratch:
        folder = Path(scratch) / "long-series"
        folder.mkdir()
        write_long_series(folder, slices)
        results = measure_mpr([str(folder)], str(Path(scratch) / "settings.ini"))
    results["target_longest_gap_ms"] = LONGEST_GAP_TARGET_MS
    return results


if __name__ == "__main__":
    print(json.dumps(run_mpr_benchmark(int(sys.argv[1]) if len(sys.argv) > 1 else 300), indent=2))
