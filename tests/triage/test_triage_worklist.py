"""Worklist rows, the SQLite worklist (WAL, committed row by row), the plan of a rerun, cluster size, the summary."""

import csv
import dataclasses
import sqlite3

import pytest

from lungview.detection import Lesion, LesionSlice, SeriesLesions
from lungview.detection.eligibility import NO_LUNG
from lungview.triage.archive import Archive, ArchiveSeries, Fingerprint, StudyFields, group_studies
from lungview.triage.cluster import plan_local_cluster
from lungview.triage.eligibility import not_evaluable_reason
from lungview.triage.progress import format_summary
from lungview.triage.rows import (
    COLUMNS,
    DONE,
    FAILED,
    FROM_FINDING,
    FROM_SLICE,
    NOT_EVALUABLE,
    SKIPPED,
    analysed_row,
    failed_row,
    not_evaluable_row,
    skipped_row,
    top_finding,
)
from lungview.triage.runner import TriageSummary, plan_triage
from lungview.triage.worklist import (
    SCHEMA_VERSION,
    Worklist,
    WorklistError,
    read_worklist,
    schema_version,
    worklist_model,
    write_csv,
)
from lungview.volume import Series, SliceRef

MODEL = {"id": "m", "version": "1", "sha256": "a" * 64}


def _entry(key="1.2.3", slices=4) -> ArchiveSeries:
    return ArchiveSeries(
        key, "9.9", key, "CT", "chest", "/archive/p", slices, StudyFields("P1", "ACC", "20240101"), None
    )


def _lesion(rank, score, index) -> Lesion:
    return Lesion(rank, score, index, 10.0, 20.0, (1.0, 2.0, 3.0), (LesionSlice(index, None, "", (5, 5, 15, 15)),))


def _lesions(candidates=(), scores=(0.1, 0.7, None, 0.7)) -> SeriesLesions:
    return SeriesLesions("1.2.3", MODEL, 0.5, tuple(candidates), tuple(scores))


def test_top_finding_is_the_best_finding():
    top = top_finding(_lesions([_lesion(1, 0.9, 2), _lesion(2, 0.6, 0)]))

    assert (top.source, top.score, top.index, top.row, top.col, top.xyz_mm) == (
        FROM_FINDING,
        0.9,
        2,
        10.0,
        20.0,
        (1.0, 2.0, 3.0),
    )


def test_without_findings_the_top_is_the_first_highest_slice_score():
    top = top_finding(_lesions([_lesion(1, 0.3, 2)]))  # a candidate below the threshold is no finding

    assert (top.source, top.score, top.index, top.row) == (FROM_SLICE, 0.7, 1, None)


def test_a_series_with_no_scored_slice_is_skipped_as_unreadable():
    row = analysed_row(_entry(), _lesions(scores=(None, None)), 1.0)

    assert (row.status, row.reason.split(":")[0], row.top_score) == (SKIPPED, "unreadable", None)


def test_analysed_row_has_location_counts_and_rate():
    row = analysed_row(_entry(), _lesions([_lesion(1, 0.9, 2)]), 2.0)

    assert (row.status, row.top_index, row.top_x_mm, row.findings, row.unscored_slices, row.slices_per_s) == (
        DONE,
        2,
        1.0,
        1,
        1,
        2.0,
    )
    assert (row.patient_id, row.model_sha256) == ("P1", MODEL["sha256"])


def test_worklist_keeps_one_row_per_series_committed_at_once(tmp_path):
    path = tmp_path / "w.sqlite"
    with Worklist(path) as worklist:
        worklist.record(failed_row(_entry("a"), "boom", MODEL))
        worklist.record(analysed_row(_entry("a"), _lesions(), 1.0))  # the rerun's row replaces the failure
        worklist.record(analysed_row(_entry("b"), _lesions([_lesion(1, 0.9, 2)]), 1.0))
        worklist.record(skipped_row(_entry("c"), "not CT (MR)", MODEL))
        # another reader sees every row while the run is still open: nothing waits for the end of the run
        assert [row.series_key for row in read_worklist(path)] == ["b", "a", "c"]
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _eligible(key: str, slices: int) -> ArchiveSeries:
    refs = tuple(SliceRef(f"/archive/{key}/{n}.dcm", f"{key}.{n}", n, float(n), (0.7, 0.7), 1.0) for n in range(slices))
    series = Series(key, "9.9", "CT", "chest", 512, 512, (1.0, 0.7, 0.7), (1, 0, 0, 0, 1, 0), refs, True)
    return dataclasses.replace(_entry(key, slices), series=series, fingerprint=Fingerprint(slices, 1000 * slices, 5.0))


def test_a_rerun_leaves_settled_series_alone_and_tries_the_others(tmp_path):
    entries = [_eligible(key, 12) for key in ("done", "failed", "undecodable", "other-model", "new", "no-lung")]
    entries.append(_eligible("short", 4))
    with Worklist(tmp_path / "w.sqlite") as worklist:
        worklist.record(analysed_row(entries[0], _lesions(), 1.0))
        worklist.record(failed_row(entries[1], "boom", MODEL))
        worklist.record(analysed_row(entries[2], _lesions(scores=(None,) * 4), 1.0))
        worklist.record(dataclasses.replace(analysed_row(entries[3], _lesions(), 1.0), model_sha256="b" * 64))
        worklist.record(analysed_row(entries[5], dataclasses.replace(_lesions(), not_evaluable=NO_LUNG), 1.0))
        worklist.record(not_evaluable_row(entries[6], not_evaluable_reason(entries[6], 10), MODEL))
        archive = Archive(group_studies(entries))

        plan = plan_triage(archive, worklist, MODEL, min_slices=10)
        fewer = plan_triage(archive, worklist, MODEL, min_slices=3)

    assert [e.key for e in plan.settled] == ["done", "undecodable", "no-lung", "short"]
    assert [e.key for e in plan.to_analyse] == ["failed", "other-model", "new"]
    assert plan.skipped == plan.not_evaluable == ()
    assert "short" in [e.key for e in fewer.to_analyse]  # allowed now: analysed


def test_a_series_whose_files_changed_is_analysed_again(tmp_path):
    entry = _eligible("grown", 12)
    with Worklist(tmp_path / "w.sqlite") as worklist:
        worklist.record(analysed_row(entry, _lesions(), 1.0))
        for changed in (Fingerprint(13, 13_000, 9.0), Fingerprint(12, 12_001, 5.0), Fingerprint(12, 12_000, 6.0)):
            archive = Archive(group_studies([dataclasses.replace(entry, fingerprint=changed)]))
            assert [e.key for e in plan_triage(archive, worklist, MODEL, 10).to_analyse] == ["grown"], changed
        same = plan_triage(Archive(group_studies([entry])), worklist, MODEL, 10)
    assert [e.key for e in same.settled] == ["grown"]


@pytest.mark.parametrize("field", ["id", "version", "sha256"])
def test_another_model_analyses_every_series_again_and_ranks_alone(tmp_path, field):
    entries = [_eligible(key, 12) for key in ("a", "b")]
    other = {**MODEL, field: MODEL[field] + "2"}
    with Worklist(tmp_path / "w.sqlite") as worklist:
        worklist.use_model(MODEL)
        for entry in entries:
            worklist.record(analysed_row(entry, _lesions(), 1.0))
        plan = plan_triage(Archive(group_studies(entries)), worklist, other, 10)
        worklist.use_model(other)
        new_lesions = dataclasses.replace(_lesions([_lesion(1, 0.9, 2)]), model=other)
        worklist.record(analysed_row(entries[0], new_lesions, 1.0))
        ranked = worklist.rows()
        old = worklist.rows(MODEL)

    assert [e.key for e in plan.to_analyse] == ["a", "b"]
    assert [(row.series_key, row.model_id, row.model_version, row.model_sha256) for row in ranked] == [
        ("a", other["id"], other["version"], other["sha256"])
    ]
    assert [row.series_key for row in old] == ["a", "b"]  # the first model's rows stay, apart
    assert worklist_model(tmp_path / "w.sqlite") == other


def test_a_worklist_of_the_first_format_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    old_columns = COLUMNS[: COLUMNS.index("recorded_at") + 1]
    row = analysed_row(_entry("a"), _lesions([_lesion(1, 0.9, 2)]), 1.0)
    db = sqlite3.connect(path)  # the schema written before versions: keyed by series alone, no meta table
    db.execute(f"CREATE TABLE series ({', '.join(old_columns)}, PRIMARY KEY (series_key))")
    db.execute("CREATE TABLE unusable_files (path TEXT PRIMARY KEY, reason TEXT)")
    db.execute(f"INSERT INTO series VALUES ({', '.join('?' * len(old_columns))})", dataclasses.astuple(row)[:28])
    db.commit()
    db.close()

    assert [r.series_key for r in read_worklist(path)] == ["a"]  # the viewer reads it as it is
    with Worklist(path) as worklist:
        upgraded = worklist.rows()
        version = schema_version(worklist._db)
        recorded = worklist.recorded(MODEL)
    with Worklist(path) as worklist:  # opening it again changes nothing
        assert worklist.rows() == upgraded

    assert version == SCHEMA_VERSION
    assert upgraded == [row]  # the result is kept, the files it analysed were not recorded then
    assert recorded == {"a": ("done", "", None)}  # so the next run analyses the series again


def test_a_worklist_of_a_newer_format_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    with Worklist(path) as worklist:
        worklist._db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        worklist._db.commit()

    with pytest.raises(WorklistError, match="newer"):
        Worklist(path)


def test_csv_has_a_header_and_one_line_per_row(tmp_path):
    rows = [analysed_row(_entry("a"), _lesions(), 1.0), failed_row(_entry("b"), "boom, badly", MODEL)]

    write_csv(rows, tmp_path / "w.csv")

    with open(tmp_path / "w.csv", newline="") as stream:
        lines = list(csv.reader(stream))
    assert lines[0] == list(COLUMNS)
    assert [line[COLUMNS.index("reason")] for line in lines[1:]] == ["", "boom, badly"]


@pytest.mark.parametrize(
    ("workers", "cores", "memory_gib", "expected"),
    [
        (None, 8, 64, (8, 1)),
        (None, 16, 8, (4, 4)),
        (None, 4, 1, (1, 4)),
        (2, 8, 1, (2, 4)),
        (3, 8, 64, (3, 2)),
        (4, 2, 64, (4, 1)),
    ],
)
def test_local_cluster_shares_the_cores_and_memory_out(workers, cores, memory_gib, expected):
    plan = plan_local_cluster(workers, cores, memory_gib * 1024**3)

    assert (plan.workers, plan.cores_per_worker) == expected


def test_summary_counts_and_rate():
    summary = TriageSummary(2, 6, 1, {DONE: 2, NOT_EVALUABLE: 1, SKIPPED: 1, FAILED: 1}, 100, 4.0)

    text = format_summary(summary)

    assert "6 series in 2 studies: 1 already in the worklist, 2 done, 1 not evaluable, 1 skipped, 1 failed" in text
    assert "25.0 slices/s" in text and "tried again" in text
