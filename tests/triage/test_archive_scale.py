"""Archive scale: 1,000 series (patient folders as links) triaged on 2 local workers by a stand-in finder, the
triage process killed with SIGKILL half-way and run again: every series exactly once, nothing lost or doubled,
memory flat. The real-model figures are in docs/triage.md (``python -m lungview.bench.archive_scale``)."""

import pytest

from lungview.bench.archive_scale import run_archive_scale

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

SERIES = 1000
#: Memory a process may gain between a quarter of its run and its end (allocator noise, Dask's bookkeeping).
FLAT_MIB = 40


def test_a_killed_triage_of_a_thousand_linked_series_records_each_once(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("LUNGVIEW_SHARED_DATA", str(shared_data))

    figures = run_archive_scale(series=SERIES, slices=2, workers=2, stand_in=True, scratch=tmp_path, log=print)

    first, rerun, worklist = figures["first_run"], figures["rerun"], figures["worklist"]
    assert figures["series"] == SERIES  # every linked patient folder found, each once
    assert first["killed"] and 0 < first["rows_at_kill"] < SERIES
    assert (rerun["status"], rerun["settled"], rerun["analysed"]) == (
        0, first["rows_at_kill"], SERIES - first["rows_at_kill"]
    )
    assert worklist == {
        "rows": SERIES, "unique": SERIES, "missing": 0, "unknown": 0, "statuses": {"done": SERIES},
        "every_series_once": True,
    }
    for run in (first, rerun):
        memory = run["memory"]
        assert memory["workers"] == 2
        assert memory["client_mib_at_end"] - memory["client_mib_at_quarter"] < FLAT_MIB, memory
        for quarter, end in zip(memory["worker_mib_at_quarter"], memory["worker_mib_at_end"]):
            assert end - quarter < FLAT_MIB, memory
    assert figures["discovery"]["files_per_s"] > 0 and first["series_per_s"] > 0
