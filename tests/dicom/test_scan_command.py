"""``lungview scan``: JSON and table output, exit status."""

import json

from lungview.cli import main


def test_json_lists_series_and_skipped_files(sample_series_dir, capsys):
    status = main(["scan", str(sample_series_dir), "--json"])

    output = json.loads(capsys.readouterr().out)
    assert status == 0
    assert set(output) == {"series", "skipped"}
    series = output["series"][0]
    documented = {"series_uid", "modality", "description", "rows", "columns", "spacing", "orientation", "warnings"}
    assert documented <= set(series)
    assert series["modality"] == "CT" and series["spacing"][0] == 5.0 and len(series["slices"]) == 30
    assert set(series["slices"][0]) >= {"path", "z", "instance_number", "sop_instance_uid"}
    z = [s["z"] for s in series["slices"]]
    assert z == sorted(z)
    assert {"path", "reason"} == set(output["skipped"][0])


def test_table_is_readable(sample_series_dir, capsys):
    assert main(["scan", str(sample_series_dir)]) == 0

    text = capsys.readouterr().out
    assert "1 series" in text and "CT" in text and "not a DICOM file" in text


def test_nothing_readable_exits_2_without_traceback(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("hello")

    assert main(["scan", str(tmp_path), "--json"]) == 2
    output = json.loads(capsys.readouterr().out)
    assert output == {"series": [], "skipped": [{"path": str(tmp_path / "a.txt"), "reason": "not a DICOM file"}]}
