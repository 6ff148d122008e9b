"""``lungview bench``: every section's figures reach the report; a broken section is recorded, not fatal."""

import json

from lungview.bench import summary
from lungview.cli import main

OPEN_SERIES = {
    "slices": 300.0, "plain_pydicom_s": 2.0, "scan_s": 1.0, "scan_and_decode_s": 4.0,
    "scan_and_decode_two_threads_s": 3.0, "ratio_one_thread": 0.5, "ratio_one_thread_cpu_time": 0.6,
    "ratio_two_threads": 0.67,
}


def _fake_sections(monkeypatch, **sections):
    monkeypatch.setattr(summary, "SECTIONS", sections)
    monkeypatch.setattr(summary, "machine", lambda: {
        "cpu_model": "Test CPU", "cpus": 2, "memory_gib": 4.0, "gpu": "none", "load_average_1min": 1.0,
    })


def _broken(slices: int) -> dict:
    raise RuntimeError("the viewer did not report")


def test_report_names_each_figure_and_its_reference(monkeypatch):
    _fake_sections(monkeypatch, open_series=lambda slices: dict(OPEN_SERIES, slices=float(slices)), cold_start=_broken)
    results = summary.run_all(slices=300, log=lambda line: None)
    assert results["cold_start"]["error"] == "RuntimeError: the viewer did not report"
    text = summary.format_report(results)
    assert "Test CPU, 2 CPU(s)" in text and "GPU: none" in text
    assert "series scan + decode (300 slices): 4.00 s on one thread" in text
    assert "vs plain pydicom 2.00 s = 0.50x" in text
    assert "cold_start: not measured (RuntimeError: the viewer did not report)" in text


def test_command_prints_json_and_fails_when_a_section_failed(monkeypatch, capsys):
    _fake_sections(monkeypatch, open_series=lambda slices: dict(OPEN_SERIES), cold_start=_broken)
    assert main(["bench", "--json", "--only", "open_series"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["open_series"]["ratio_one_thread"] == 0.5 and "cold_start" not in document
    assert main(["bench", "--only", "cold_start"]) == 1


def test_bad_slice_count_is_refused(capsys):
    assert main(["bench", "--slices", "0"]) == 2
    assert "--slices must be at least 1" in capsys.readouterr().err


def test_machine_names_the_cpu():
    described = summary.machine()
    assert described["cpus"] >= 1 and described["cpu_model"]
    assert described["gpu"]


def _noisy(slices: int) -> dict:
    import os

    print("Loaded pretrained weights for efficientnet-lite0")  # what a library prints while a model loads
    os.write(1, b"a native library's line\n")
    return dict(OPEN_SERIES, slices=float(slices))


def test_bench_json_stdout_is_pure_json_whatever_libraries_print(monkeypatch, capfd):
    _fake_sections(monkeypatch, open_series=_noisy)

    status = main(["bench", "--json", "--only", "open_series", "--slices", "12"])

    out, err = capfd.readouterr()
    assert status == 0
    assert json.loads(out)["open_series"]["slices"] == 12.0
    assert "Loaded pretrained weights" in err and "a native library's line" in err


def test_findings_figures_stand_beside_decoding_alone(monkeypatch):
    figures = {
        "slices": 300, "load_s": 0.1, "longest_gui_stall_ms": 30.0,
        "uncompressed": {"seconds": 4.25, "slices_per_s": 70.6, "findings": 5,
                         "decode_only": {"seconds": 1.17, "slices_per_s": 256.6, "findings_over_decode_time": 3.64}},
        "targets": {"uncompressed_slices_per_s": 40.0, "jpeg2000_slices_per_s": 20.0, "longest_gui_stall_ms": 50.0},
    }
    _fake_sections(monkeypatch, findings=lambda slices: figures)
    text = summary.format_report(summary.run_all(slices=300, log=lambda line: None))
    assert "(300 slices, uncompressed): 4.2 s = 71 slices/s (target >= 40); decoding alone 257 slices/s" in text
    assert "longest GUI-thread stall while the findings are computed: 30 ms (target <= 50 ms)" in text
