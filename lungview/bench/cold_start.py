"""Cold start: seconds from launching a fresh ``lungview`` process to its first painted slice.

Each run spawns the real viewer offscreen on the bundled sample series (what ``lungview`` opens with no path) and
stops the clock when the slice view has painted an image. The reference, timed the same way in the same run, is a
fresh Python process that shows a bare Qt window painting one 512×512 image: the floor any Python + Qt viewer pays.
"""

import statistics
import tempfile
from pathlib import Path

from lungview.bench.viewer_process import time_child


def run_cold_start_benchmark(runs: int = 3, paths: tuple[str, ...] = ()) -> dict[str, float]:
    """Median and first-run seconds to the first painted slice, against the bare-Qt reference, over ``runs`` runs."""
    viewer, reference = [], []
    with tempfile.TemporaryDirectory(prefix="lungview-bench-settings-") as config_home:
        for _ in range(runs):  # interleaved, so a change in machine load hits both alike
            viewer.append(time_child(["--until", "painted", *paths], Path(config_home)))
            reference.append(time_child(["--reference"], Path(config_home)))
    viewer_s = statistics.median(run["wall_s"] for run in viewer)
    reference_s = statistics.median(run["wall_s"] for run in reference)
    return {
        "runs": float(runs),
        "first_image_s": viewer_s,
        "first_run_first_image_s": viewer[0]["wall_s"],
        "bare_qt_window_s": reference_s,
        "ratio_to_bare_qt": viewer_s / reference_s,
        "viewer_peak_rss_mb": statistics.median(run["peak_rss_mb"] for run in viewer),
    }
