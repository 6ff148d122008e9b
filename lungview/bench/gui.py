"""GUI responsiveness benchmark: heartbeat gaps and time to first image while the viewer loads a series.

Run ``python -m lungview.bench.gui``. It loads the bundled 30-slice sample, then a 300-slice series written to a
temporary folder by copying the sample's files with new positions and UIDs. Target: longest gap <= 50 ms.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pydicom
from pydicom.uid import generate_uid

from lungview.paths import sample_series_dir

LONGEST_GAP_TARGET_MS = 50.0


def write_long_series(folder: Path, slices: int = 300, step_mm: float = 1.0) -> Path:
    """Write a ``slices``-slice CT series into ``folder`` by re-stacking the sample's files with new z and UIDs."""
    sources = sorted(sample_series_dir().glob("*.dcm"))
    series_uid, study_uid = generate_uid(), generate_uid()
    for index in range(slices):
        dataset = pydicom.dcmread(sources[index % len(sources)])
        dataset.SeriesInstanceUID = series_uid
        dataset.StudyInstanceUID = study_uid
        dataset.SOPInstanceUID = generate_uid()
        dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
        dataset.InstanceNumber = index + 1
        x, y, _ = (float(value) for value in dataset.ImagePositionPatient)
        z = -index * step_mm
        dataset.ImagePositionPatient = [x, y, z]
        dataset.SliceLocation = z
        dataset.SliceThickness = step_mm
        dataset.save_as(folder / f"slice-{index:04d}.dcm")
    return folder


def run_benchmark(long_series_slices: int = 300, extra_paths: tuple[str, ...] = ()) -> dict:
    """Measure the sample series, a ``long_series_slices``-slice series and each of ``extra_paths``.

    Returns a dict for ``lungview bench``: one entry per series measured (see
    :func:`lungview.bench.load_timing.measure_loading`), plus the target and the CPU count.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from lungview.bench.load_timing import measure_loading

    with tempfile.TemporaryDirectory(prefix="lungview-bench-gui-") as scratch:
        scratch_path = Path(scratch)
        settings_file = str(scratch_path / "settings.ini")
        long_folder = scratch_path / "long-series"
        long_folder.mkdir()
        write_long_series(long_folder, long_series_slices)
        results = {
            "sample": measure_loading([str(sample_series_dir())], settings_file),
            f"series_{long_series_slices}": measure_loading([str(long_folder)], settings_file),
        }
        for path in extra_paths:
            results[Path(path).name] = measure_loading([path], settings_file)
    results["target_longest_gap_ms"] = LONGEST_GAP_TARGET_MS
    results["cpu_count"] = os.cpu_count()
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m lungview.bench.gui [PATH ...]``: print the measurements as JSON and the longest gap."""
    parser = argparse.ArgumentParser(prog="python -m lungview.bench.gui", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", metavar="PATH", help="more series folders to measure")
    args = parser.parse_args(argv)
    results = run_benchmark(extra_paths=tuple(args.paths))
    print(json.dumps(results, indent=2))
    worst = max(value["longest_gap_ms"] for value in results.values() if isinstance(value, dict))
    print(f"longest GUI-thread gap while loading: {worst:.1f} ms (target <= {LONGEST_GAP_TARGET_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
