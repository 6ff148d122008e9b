"""Triage runs on a real local Dask cluster: every series once, resumable, robust to dying workers, same answers."""

import dataclasses
import functools

import cloudpickle
import pytest
from triage import faults
from triage.archive_factory import MIN_SLICES, SLICES

from lungview.triage.archive import discover
from lungview.triage.rows import DONE, FAILED, NOT_EVALUABLE, SKIPPED, top_finding
from lungview.triage.runner import analyse_on_cluster, plan_triage, run_plan
from lungview.triage.worklist import Worklist

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

cloudpickle.register_pickle_by_value(faults)


def _triage(root, path, client, spec, model, task=None, keep=None):
    """Plan and run a triage of ``root`` into the worklist ``path`` (``keep``: analyse only these keys)."""
    with Worklist(path) as worklist:
        plan = plan_triage(discover([root]), worklist, model, MIN_SLICES)
        if keep is not None:
            plan = dataclasses.replace(plan, to_analyse=tuple(e for e in plan.to_analyse if e.key in keep))
        summary = run_plan(plan, worklist, client, spec, **({"task": task} if task else {}))
        return plan, summary, worklist.rows()


@pytest.fixture(scope="module")
def first_run(archive, client, spec, model, tmp_path_factory):
    """(worklist path, plan, summary, rows) of one triage of the whole archive."""
    root, _ = archive
    path = tmp_path_factory.mktemp("worklist") / "worklist.sqlite"
    plan, summary, rows = _triage(root, path, client, spec, model)
    return path, plan, summary, rows


def test_every_series_is_recorded_once_with_its_status(archive, first_run, model):
    _, expected = archive
    _, plan, summary, rows = first_run

    assert sorted(row.series_key for row in rows) == sorted(expected)
    for row in rows:
        want = expected[row.series_key]
        assert (row.status, row.reason[: len(want.reason_start)]) == (want.status, want.reason_start), row.reason
        assert (row.model_id, row.model_sha256) == (model["id"], model["sha256"])
    done = [row for row in rows if row.status == DONE]
    not_evaluable = sum(want.status == NOT_EVALUABLE for want in expected.values())
    assert summary.statuses == {
        DONE: 3, NOT_EVALUABLE: not_evaluable, SKIPPED: len(expected) - 3 - not_evaluable, FAILED: 0
    }
    assert all(row.top_score is None for row in rows if row.status == NOT_EVALUABLE)
    assert summary.slices == sum(row.slice_count for row in done) == 3 * SLICES
    assert all(
        row.top_score is not None and row.slices_per_s > 0 and row.patient_id.startswith("TRIAGE-") for row in done
    )
    assert [row.top_score for row in done] == sorted((row.top_score for row in done), reverse=True)
    assert [f.path for f in plan.archive.unusable_files] == [str(archive[0] / "p4" / "notes.txt")]


def test_workers_discover_the_same_archive_as_the_client(archive, client):
    assert discover([archive[0]], client, files_per_task=4) == discover([archive[0]])


def test_rerun_does_nothing_new(archive, first_run, client, spec, model):
    path, _, _, rows = first_run

    plan, summary, rows_again = _triage(archive[0], path, client, spec, model)

    assert (plan.skipped, plan.not_evaluable, plan.to_analyse, len(plan.settled)) == ((), (), (), len(rows))
    assert summary.statuses == {DONE: 0, NOT_EVALUABLE: 0, SKIPPED: 0, FAILED: 0}
    assert rows_again == rows


def test_worklist_equals_the_lesion_finder_run_in_process(first_run, reference_finder, client, spec):
    _, plan, _, rows = first_run
    by_key = {row.series_key: row for row in rows}

    for entry in plan.to_analyse:
        reference = reference_finder.find(entry.series)
        row = by_key[entry.key]
        if reference.not_evaluable:
            assert (row.status, row.reason, row.top_score) == (NOT_EVALUABLE, reference.not_evaluable, None)
            continue
        top = top_finding(reference)
        assert (row.top_source, row.top_score, row.top_index) == (top.source, top.score, top.index)
        assert row.findings == len(reference.findings)
    entry = plan.to_analyse[0]
    [(_, analysis)] = list(analyse_on_cluster(client, [entry], spec))
    assert analysis.lesions == reference_finder.find(entry.series)


def _done_keys(first_run) -> list[str]:
    """Keys of the series the first run analysed and recorded done, in plan order."""
    _, plan, _, rows = first_run
    done = {row.series_key for row in rows if row.status == DONE}
    return [entry.key for entry in plan.to_analyse if entry.key in done]


def test_a_worker_killed_mid_run_loses_nothing(archive, first_run, client, spec, model, tmp_path):
    _, plan, _, rows = first_run
    victim, innocent = _done_keys(first_run)[:2]
    marker = tmp_path / "killed"
    task = functools.partial(faults.exit_once, victim=victim, marker=marker)

    _, summary, rows_after_crash = _triage(
        archive[0], tmp_path / "w.sqlite", client, spec, model, task, {victim, innocent}
    )

    assert marker.exists()  # the worker did die
    assert summary.statuses[FAILED] == 0
    analysed = {(r.series_key, r.status, r.top_score) for r in rows_after_crash if r.status == DONE}
    assert analysed == {(r.series_key, r.status, r.top_score) for r in rows if r.series_key in (victim, innocent)}


def test_a_series_that_kills_every_worker_fails_and_the_rest_is_done(archive, first_run, client, spec, model, tmp_path):
    _, plan, _, _ = first_run
    victim, innocent = _done_keys(first_run)[:2]
    marker = tmp_path / "deaths"
    task = functools.partial(faults.exit_always, victim=victim, marker=marker)

    _, summary, rows = _triage(archive[0], tmp_path / "w.sqlite", client, spec, model, task, keep={victim, innocent})

    by_key = {row.series_key: row for row in rows}
    assert by_key[victim].status == FAILED and "died" in by_key[victim].reason
    assert by_key[innocent].status == DONE
    assert marker.read_text().count("died") == 4  # allowed failures (1) + 1 among the others, then as often alone
    assert summary.statuses[FAILED] == 1
    with Worklist(tmp_path / "w.sqlite") as worklist:  # a rerun tries the failed series again
        assert victim in [e.key for e in plan_triage(discover([archive[0]]), worklist, model, MIN_SLICES).to_analyse]


def test_an_interrupted_run_keeps_what_it_finished_and_a_rerun_does_the_rest(archive, client, spec, model, tmp_path):
    path = tmp_path / "w.sqlite"

    def interrupt_after_first_series(row):
        if row.status == DONE:
            raise KeyboardInterrupt

    with Worklist(path) as worklist:
        plan = plan_triage(discover([archive[0]]), worklist, model, MIN_SLICES)
        with pytest.raises(KeyboardInterrupt):
            run_plan(plan, worklist, client, spec, interrupt_after_first_series)
        kept = [row.series_key for row in worklist.rows() if row.status == DONE]
        recorded = {row.series_key for row in worklist.rows()}  # a not-evaluable series may have ended first
        rerun = plan_triage(discover([archive[0]]), worklist, model, MIN_SLICES)

    assert len(kept) == 1
    assert sorted(e.key for e in rerun.to_analyse) == sorted(e.key for e in plan.to_analyse if e.key not in recorded)
    assert rerun.skipped == rerun.not_evaluable == ()


def test_command_line_writes_worklist_and_csv_and_logs_no_patient_data(archive, client, tmp_path, capsys, caplog):
    import csv
    import logging

    from lungview.cli import main

    root, expected = archive
    short = root / "p2" / "short"
    uid = next(uid for uid, e in expected.items() if e.reason_start == "too few slices")
    argv = ["--debug", "triage", str(short), "--out", str(tmp_path / "w.sqlite"), "--csv", str(tmp_path / "w.csv")]
    argv += ["--scheduler", client.scheduler.address, "--min-slices", "3", "--no-progress"]

    with caplog.at_level(logging.DEBUG):
        status = main(argv)

    out, err = capsys.readouterr()
    assert status == 0
    assert "1 done, 0 not evaluable, 0 skipped, 0 failed" in out
    with open(tmp_path / "w.csv", newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert (row["series_key"], row["status"], row["patient_id"], row["slice_count"]) == (uid, "done", "TRIAGE-P2", "3")
    for secret in ("TRIAGE-P2", "ACC-2", uid, str(short), row["study_uid"]):
        assert secret not in out + err + caplog.text
