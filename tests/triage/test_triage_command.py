"""``lungview triage`` refuses bad arguments with a message and status 2 before any cluster starts, and ends an
empty run with status 0."""

from lungview.cli import main


def test_no_workers_is_refused(tmp_path, capsys):
    assert main(["triage", str(tmp_path), "--out", str(tmp_path / "w.sqlite"), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_an_unknown_model_is_refused(tmp_path, capsys):
    assert main(["triage", str(tmp_path), "--out", str(tmp_path / "w.sqlite"), "--model", "no-such-model"]) == 2
    assert "no-such-model" in capsys.readouterr().err
    assert not (tmp_path / "w.sqlite").exists()


def test_an_archive_with_nothing_to_analyse_ends_with_status_0(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not DICOM")

    assert main(["triage", str(tmp_path), "--out", str(tmp_path / "w.sqlite"), "--workers", "1", "--no-progress"]) == 0

    assert "0 series in 0 studies" in capsys.readouterr().out
