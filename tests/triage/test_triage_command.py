"""``lungview triage`` refuses bad arguments with a message and status 2 before any cluster starts, and ends an
empty run with status 0."""

import contextlib
import csv

import pytest

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


def test_the_retired_model_id_triages_with_its_successor(tmp_path, caplog):
    from lungview.inference.model_choice import LESION_MODEL
    from lungview.triage.worklist import Worklist

    (tmp_path / "notes.txt").write_text("not DICOM")
    argv = ["triage", str(tmp_path), "--out", str(tmp_path / "w.sqlite"), "--workers", "1", "--no-progress"]

    assert main([*argv, "--model", "ct-tumour-slice"]) == 0

    assert f"using its successor '{LESION_MODEL}'" in caplog.text
    with Worklist(tmp_path / "w.sqlite") as worklist:
        assert worklist.model()["id"] == LESION_MODEL


def test_bad_option_values_are_refused_in_one_line(tmp_path, capsys):
    out = str(tmp_path / "w.sqlite")
    for argv, words in (
        (["--min-slices", "0"], "--min-slices must be at least 1 (got 0)"),
        (["--min-slices", "-3"], "--min-slices must be at least 1 (got -3)"),
        (["--workers", "-1"], "--workers must be at least 1 (got -1)"),
        (["--csv", out], "--csv must not be the worklist file itself"),
    ):
        assert main(["triage", str(tmp_path), "--out", out, *argv]) == 2
        err = capsys.readouterr().err
        assert err == f"lungview triage: {words}\n"
    assert main(["triage", str(tmp_path / "missing"), "--out", out]) == 2
    assert capsys.readouterr().err.startswith("lungview triage: no such file or folder")
    assert not (tmp_path / "w.sqlite").exists()


def _worklist_with_one_row(path):
    from lungview.triage.rows import WorklistRow
    from lungview.triage.worklist import Worklist

    with Worklist(path) as worklist:
        row = WorklistRow("1.2", "P", "A", "2024", "9", "1.2", "chest", "CT", "/a", 12, "done", top_score=0.5)
        worklist.record(row)


@pytest.mark.parametrize("where", ["model", "cluster", "discovery"])
def test_ctrl_c_at_any_moment_is_exit_130_and_the_csv_is_still_written(tmp_path, capsys, monkeypatch, where):
    import lungview.inference.lesion_segmenter
    import lungview.triage.archive
    import lungview.triage.cluster

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    target = {
        "model": (lungview.inference.lesion_segmenter, "load_lesion_finder"),
        "cluster": (lungview.triage.cluster, "local_client"),
        "discovery": (lungview.triage.archive, "discover"),
    }[where]
    monkeypatch.setattr(*target, interrupt)
    if where == "discovery":  # a cluster that starts at once: the interruption comes while the archive is read
        monkeypatch.setattr(lungview.triage.cluster, "local_client", lambda plan: contextlib.nullcontext(None))
        monkeypatch.setattr(lungview.inference.lesion_segmenter, "load_lesion_finder", lambda *args, **kwargs: None)
    _worklist_with_one_row(tmp_path / "w.sqlite")

    status = main(["triage", str(tmp_path), "--out", str(tmp_path / "w.sqlite"), "--csv", str(tmp_path / "w.csv")])

    assert status == 130
    assert "interrupted" in capsys.readouterr().err
    with open(tmp_path / "w.csv", newline="") as stream:
        assert [row["series_key"] for row in csv.DictReader(stream)] == ["1.2"]


def test_the_csv_is_written_when_the_run_fails(tmp_path, capsys, monkeypatch):
    import lungview.triage.cluster
    from lungview.triage.runner import TriageError

    @contextlib.contextmanager
    def fail(*args, **kwargs):
        raise TriageError("a worker cannot load the model")
        yield

    monkeypatch.setattr(lungview.triage.cluster, "local_client", fail)
    monkeypatch.setattr("lungview.inference.lesion_segmenter.load_lesion_finder", lambda *args: None)
    _worklist_with_one_row(tmp_path / "w.sqlite")

    status = main(["triage", str(tmp_path), "--out", str(tmp_path / "w.sqlite"), "--csv", str(tmp_path / "w.csv")])

    assert status == 1 and "cannot load the model" in capsys.readouterr().err
    assert (tmp_path / "w.csv").read_text().count("\n") == 2
