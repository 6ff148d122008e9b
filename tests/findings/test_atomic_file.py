"""Exports are written whole or not at all: a full disk half-way leaves the earlier file as it was."""

import errno

import pytest

from lungview.findings.atomic_file import written_atomically
from lungview.triage.worklist import write_csv


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_leaves_the_earlier_file_and_no_partial_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("earlier")

    with pytest.raises(OSError, match="No space"), written_atomically(target) as temporary:
        temporary.write_text("half of the new")
        _disk_full()

    assert target.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with written_atomically(target) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_the_worklist_csv_survives_a_full_disk(tmp_path, monkeypatch):
    target = tmp_path / "worklist.csv"
    target.write_text("the last good export\n")
    monkeypatch.setattr("lungview.triage.worklist.csv.writer", lambda stream: type("W", (), {"writerow": _disk_full}))

    with pytest.raises(OSError):
        write_csv([], target)

    assert target.read_text() == "the last good export\n"


def test_a_report_export_survives_a_full_disk(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from lungview.reports import page

    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF earlier report")
    monkeypatch.setattr(page, "render_report_figure", lambda report: (Figure(), {}))
    monkeypatch.setattr(Figure, "savefig", _disk_full)

    with pytest.raises(OSError, match="No space"):
        page.save_report(None, target)

    assert target.read_bytes() == b"%PDF earlier report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
