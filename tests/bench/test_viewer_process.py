"""The cold-start and memory benchmarks' child process: the real viewer, started fresh, reports once (untimed)."""

import pytest

from lungview.bench.memory import run_memory_benchmark
from lungview.bench.viewer_process import peak_rss_mb, time_child


def test_viewer_reports_its_first_painted_slice(tmp_path, sample_series_dir):
    report = time_child(["--until", "painted", str(sample_series_dir)], tmp_path)
    assert 0 < report["in_process_s"] < report["wall_s"]
    assert report["peak_rss_mb"] > 0
    assert (tmp_path / "LungView" / "LungView.conf").is_file()  # its recent folders went there, not to the user's


def test_reference_window_reports_its_first_paint(tmp_path):
    report = time_child(["--reference"], tmp_path)
    assert 0 < report["in_process_s"] < report["wall_s"]


def test_memory_benchmark_loads_every_slice(sample_series_dir):
    figures = run_memory_benchmark(slices=6, source=sample_series_dir)
    assert figures["slices"] == 6
    assert figures["hu_array_mb"] == 6 * 512 * 512 * 4 / 1024**2
    assert figures["peak_rss_mb"] >= figures["rss_qt_started_mb"] > 0


def test_peak_rss_is_this_process():
    assert peak_rss_mb() > 10


def test_a_child_that_does_not_report_in_time_is_stopped(tmp_path):
    with pytest.raises(RuntimeError, match="without reporting within 0.01 s"):
        time_child(["--reference"], tmp_path, timeout_s=0.01)
