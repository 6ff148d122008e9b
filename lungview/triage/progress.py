"""The triage's progress bar (series/s, slices/s, ETA) and its closing summary; counts only, never patient data."""

from __future__ import annotations

import sys
import time

from lungview.triage.rows import DONE, FAILED, NOT_EVALUABLE, SKIPPED, WorklistRow
from lungview.triage.runner import TriagePlan, TriageSummary


class TriageProgress:
    """A tqdm bar over the series a run analyses, advanced by every row it records (a context manager)."""

    def __init__(self, plan: TriagePlan, enabled: bool = True, stream=None):
        from tqdm import tqdm

        self._analysed = {entry.key for entry in plan.to_analyse}
        self._slices = 0
        self._started = time.perf_counter()
        self._bar = tqdm(
            total=len(plan.to_analyse),
            unit="series",
            desc="triage",
            disable=not enabled,
            file=stream or sys.stderr,
            dynamic_ncols=True,
            smoothing=0.1,
        )

    def __enter__(self) -> TriageProgress:
        return self

    def __exit__(self, *exc_info) -> None:
        self._bar.close()

    def on_recorded(self, row: WorklistRow) -> None:
        """Advance the bar when ``row`` is one of the series this run analyses."""
        if row.series_key not in self._analysed:
            return
        if row.status == DONE:
            self._slices += row.slice_count
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        self._bar.set_postfix_str(f"{self._slices / elapsed:.1f} slices/s", refresh=False)
        self._bar.update()


def format_summary(summary: TriageSummary) -> str:
    """The lines printed at the end of a run."""
    statuses = summary.statuses
    rate = f", {summary.slices_per_s:.1f} slices/s" if summary.slices_per_s else ""
    lines = [
        f"{summary.series} series in {summary.studies} studies: {summary.settled} already in the worklist, "
        f"{statuses[DONE]} done, {statuses.get(NOT_EVALUABLE, 0)} not evaluable, {statuses[SKIPPED]} skipped, "
        f"{statuses[FAILED]} failed",
        f"analysed {summary.slices} slices in {summary.seconds:.1f} s{rate}",
    ]
    if statuses[FAILED]:
        lines.append("failed series are tried again by the next run; the worklist says why each failed")
    return "\n".join(lines)
