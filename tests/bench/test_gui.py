"""The GUI benchmark's inputs and its measurement on the real window (no timing asserted)."""

from lungview.bench.gui import write_long_series
from lungview.dicom import scan_paths


def test_long_series_is_one_geometric_stack(tmp_path):
    write_long_series(tmp_path, slices=12, step_mm=2.0)
    result = scan_paths([tmp_path])
    (series,) = result.series
    assert len(series) == 12
    assert series.spacing[0] == 2.0
    assert len({slice_ref.sop_instance_uid for slice_ref in series.slices}) == 12


def test_measure_loading_reports_every_figure(qtbot, sample_series_dir, tmp_path):
    from lungview.bench.load_timing import measure_loading

    figures = measure_loading([str(sample_series_dir)], str(tmp_path / "settings.ini"))
    assert figures["slices"] == 30
    assert figures["first_image_s"] is not None and figures["first_image_s"] <= figures["loaded_s"]
    assert figures["median_gap_ms"] <= figures["longest_gap_ms"]
    assert figures["beats"] >= 2
