"""The coronal/sagittal benchmark drives the real window and reports every figure (no timing asserted)."""

from lungview.bench import summary


def test_measure_mpr_scrolls_and_drags_the_real_views(qtbot, sample_series_dir, tmp_path):
    from lungview.bench.mpr_timing import measure_mpr

    figures = measure_mpr([str(sample_series_dir)], str(tmp_path / "settings.ini"), steps=10)
    assert figures["slices"] == 30 and figures["build_s"] > 0 and figures["idle_longest_gap_ms"] > 0
    assert figures["scroll"]["steps"] == 10 and figures["drag"]["steps"] == 12  # press, 10 moves, release
    for part in ("scroll", "drag"):
        assert 0 < figures[part]["median_step_ms"] <= figures[part]["slowest_step_ms"]
        assert figures[part]["longest_gap_ms"] > 0


def test_mpr_section_is_listed_and_formatted():
    assert "mpr" in summary.SECTIONS
    step = {"steps": 120, "longest_gap_ms": 31.0, "slowest_step_ms": 9.0, "median_step_ms": 2.0}
    lines = summary.FORMATTERS["mpr"]({"slices": 300, "build_s": 0.7, "build_longest_gap_ms": 20.0,
                                       "idle_longest_gap_ms": 12.0, "scroll": step,
                                       "drag": dict(step, longest_gap_ms=44.0), "target_longest_gap_ms": 50.0})
    assert lines[0].startswith("coronal/sagittal views (300 slices): reformat built in 0.70 s")
    assert "12 ms with the window idle" in lines[0]
    assert "dragging the crosshair: longest GUI-thread stall 44 ms over 120 steps" in lines[2]
    assert lines[2].endswith("target <= 50 ms)")
