import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest

from lungview.findings import (
    LUNG_RADS_CATEGORIES,
    FindingsError,
    FindingsLog,
    ReviewedSlice,
    validate_lung_rads,
)


def reviewed_slice(series_uid="1.2.3.4", index=7, model_id="ct-malignancy-3") -> ReviewedSlice:
    return ReviewedSlice(
        study_uid="1.2.3",
        series_uid=series_uid,
        sop_instance_uid=f"{series_uid}.{index}",
        slice_index=index,
        model_id=model_id,
        model_version="1.0.0",
        weights_sha256="ab" * 32,
        probabilities={"normal": 0.25, "cancer": 0.75},
        source_path=f"/data/{index}.dcm",
    )


@pytest.fixture
def findings_log(tmp_path):
    with FindingsLog(tmp_path / "findings.sqlite") as log:
        yield log


def test_saved_finding_reads_back_with_every_field(findings_log):
    saved = findings_log.save(reviewed_slice(), "Agree", "4a", "spiculated margin")
    assert saved == findings_log.get(saved.finding_id)
    assert saved.reviewed == reviewed_slice()
    assert (saved.decision, saved.lung_rads, saved.note) == ("agree", "4A", "spiculated margin")
    assert datetime.fromisoformat(saved.recorded_at).utcoffset().total_seconds() == 0


def test_log_is_wal_with_full_synchronous_writes(findings_log):
    connection = findings_log._connection
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_filters_by_series_decision_and_model(findings_log):
    findings_log.save(reviewed_slice("1.1", 1), "agree")
    findings_log.save(reviewed_slice("1.1", 2), "disagree")
    findings_log.save(reviewed_slice("2.2", 3, model_id="ct-subtype-4"), "disagree")
    assert [f.reviewed.slice_index for f in findings_log.find()] == [3, 2, 1]  # newest first
    assert [f.reviewed.slice_index for f in findings_log.find(series_uid="1.1")] == [2, 1]
    assert [f.reviewed.slice_index for f in findings_log.find(decision="disagree")] == [3, 2]
    assert [f.reviewed.slice_index for f in findings_log.find(decision="disagree", model_id="ct-malignancy-3")] == [2]
    assert findings_log.model_ids() == ["ct-malignancy-3", "ct-subtype-4"]


def test_reopen_gives_study_series_and_slice(findings_log):
    location = findings_log.save(reviewed_slice("9.9", 12), "unsure").location
    assert (location.study_uid, location.series_uid, location.sop_instance_uid, location.slice_index) == (
        "1.2.3", "9.9", "9.9.12", 12)
    assert location.source_path == "/data/12.dcm"


@pytest.mark.parametrize("decision, category", [("maybe", None), ("agree", "5"), ("agree", "4C"), ("agree", "2C")])
def test_invalid_decision_or_category_is_refused_and_nothing_is_stored(findings_log, decision, category):
    with pytest.raises(ValueError):
        findings_log.save(reviewed_slice(), decision, category)
    assert findings_log.find() == []


def test_lung_rads_v2022_values():
    assert LUNG_RADS_CATEGORIES[:7] == ("0", "1", "2", "3", "4A", "4B", "4X")
    assert validate_lung_rads(" 4x s") == "4XS"
    assert validate_lung_rads("") is None


def test_database_refuses_values_that_bypass_validation(findings_log):
    with pytest.raises(sqlite3.IntegrityError):
        findings_log._connection.execute(
            "INSERT INTO findings (recorded_at, study_uid, series_uid, sop_instance_uid, slice_index, model_id, "
            "model_version, weights_sha256, probabilities, decision, lung_rads) "
            "VALUES ('t', '', '', '', 0, 'm', 'v', 's', '{}', 'agree', '5')"
        )


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "findings.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(FindingsError, match="cannot open the findings log"):
        FindingsLog(path)


SAVING_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from lungview.findings import FindingsLog, ReviewedSlice
    log = FindingsLog(sys.argv[1])
    index = 0
    while True:
        reviewed = ReviewedSlice("1.2", "1.2.3", f"1.2.3.{index}", index, "m", "1", "00", {"cancer": 0.5})
        finding = log.save(reviewed, "agree", note="x" * 2000)
        print(finding.finding_id, flush=True)
        index += 1
    """
)


def test_findings_saved_before_a_sigkill_survive(tmp_path):
    path = tmp_path / "findings.sqlite"
    with subprocess.Popen(
        [sys.executable, "-c", SAVING_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as process:
        reported = [int(process.stdout.readline()) for _ in range(25)]
        process.send_signal(signal.SIGKILL)  # mid-session: the loop is saving the next finding now
        process.wait()
    assert process.returncode == -signal.SIGKILL
    with FindingsLog(path) as log:
        stored = {finding.finding_id: finding for finding in log.find()}
    assert set(reported) <= set(stored)
    assert all(stored[i].note == "x" * 2000 and stored[i].reviewed.probabilities == {"cancer": 0.5} for i in reported)
    assert reported == list(range(1, 26))
