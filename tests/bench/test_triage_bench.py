"""The triage benchmark's report: each way's rate, Dask's overhead and scaling against their goals."""

from lungview.bench import summary
from lungview.bench.triage import format_figures


def _figures(plain=30.0, one=29.0, two=55.0) -> dict:
    def way(rate, **more):
        seconds = round(240 / rate, 2)
        return {"slices_per_s": rate, "slices": 240, "seconds": seconds, "all_slices_per_s": [rate], **more}

    return {
        "cpus": 2, "load_average_before": [0.5, 0.5, 0.5], "load_average_after": [1.0, 1.0, 1.0],
        "plain_1_thread": way(plain), "dask_1_worker": way(one, busy_share=0.99),
        "dask_2_worker": way(two, busy_share=0.97, discovery_files_per_s=800.0, empty_tasks_per_s=300.0),
        "dask_overhead": round(plain / one - 1, 3), "two_worker_scaling": round(two / one, 2),
        "dask_machinery_overhead": 0.01, "discovery": {"files": 240, "files_per_s": 450.0},
        "worklist_rows_per_s": 7000.0,
    }


def test_goals_met_and_missed_are_said():
    assert "+3.4% (goal <= 10%) met" in format_figures(_figures())
    assert "1.90x (goal >= 1.7x) met" in format_figures(_figures())
    assert "1 -> 2 workers: 1.03x (goal >= 1.7x) MISSED" in format_figures(_figures(two=30.0))


def test_lungview_bench_has_a_triage_section():
    lines = summary.FORMATTERS["triage"](_figures())

    assert "triage" in summary.SECTIONS
    assert lines[0].startswith("archive triage") and any("2 workers busy 97%" in line for line in lines)
