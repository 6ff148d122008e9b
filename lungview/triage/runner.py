"""Run a triage: plan what an archive still needs, analyse it on a Dask cluster, record each series as it ends.

The client alone writes the worklist, one committed row per series, so an interrupted run (Ctrl+C, a killed
worker, a lost cluster) loses at most the series in flight, and a rerun continues where it stopped. Nothing
about a series (UIDs, paths, descriptions, patient data) is logged; task keys are hashes.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lungview import paths
from lungview.detection.eligibility import NO_LUNG
from lungview.models.card import read_card
from lungview.triage.archive import Archive, ArchiveSeries
from lungview.triage.eligibility import MIN_SLICES, not_evaluable_reason, skip_reason
from lungview.triage.rows import (
    DONE,
    FAILED,
    NOT_EVALUABLE,
    NOTHING_DECODED,
    SKIPPED,
    WorklistRow,
    analysed_row,
    failed_row,
    not_evaluable_row,
    skipped_row,
)
from lungview.triage.task import FinderPreload, ModelSpec, SeriesAnalysis, analyse_series, without_identity
from lungview.triage.worklist import Worklist

log = logging.getLogger(__name__)

#: Series on the cluster per worker thread: more than Dask's root-ish threshold (2 per thread), so that its
#: scheduler queues them and sends each worker one series at a time; few enough to keep the client's memory small.
QUEUED_PER_THREAD = 3

Task = Callable[[str, object, ModelSpec], SeriesAnalysis]


class TriageError(Exception):
    """The run cannot go on (the model cannot be loaded on a worker); the message is a plain sentence."""


@dataclass(frozen=True)
class TriagePlan:
    """What a run does with each series of an archive."""

    archive: Archive
    model: dict
    """``{"id", "version", "sha256"}`` of the model, from its card."""
    settled: tuple[ArchiveSeries, ...]
    """Already done or skipped with this model in the worklist: left alone."""
    skipped: tuple[tuple[ArchiveSeries, str], ...]
    """Not analysed, with the reason."""
    to_analyse: tuple[ArchiveSeries, ...]
    not_evaluable: tuple[tuple[ArchiveSeries, str], ...] = ()
    """CT series the lesion model cannot read by their headers, with the reason."""


@dataclass(frozen=True)
class TriageSummary:
    """What a run did, in counts and seconds."""

    studies: int
    series: int
    settled: int
    statuses: dict[str, int]
    """``done``/``not_evaluable``/``skipped``/``failed`` -> series recorded by this run."""
    slices: int
    """Slices of the series analysed (done) by this run."""
    seconds: float
    """Wall time of the analysis on the cluster."""

    @property
    def slices_per_s(self) -> float | None:
        """Analysed slices per wall-clock second, None when nothing was analysed."""
        return self.slices / self.seconds if self.slices and self.seconds > 0 else None


def model_of(model_id: str, weights_dir: Path | None = None) -> dict:
    """``{"id", "version", "sha256"}`` from the card of ``model_id`` (raises ``ModelError``)."""
    return read_card((weights_dir or paths.weights_dir()) / model_id).identity()


def plan_triage(archive: Archive, worklist: Worklist, model: dict, min_slices: int = MIN_SLICES) -> TriagePlan:
    """Sort the series of ``archive`` into settled (left alone), skipped and not evaluable (with the reason) and to
    analyse.

    Settled: recorded with this model (id, version and sha256) from the same files (count, sizes, newest
    modification time) and still right by the rules given now: done, skipped for the same reason or found
    undecodable, not evaluable for the same header reason or for what the analysis found. A series whose files
    changed, a row without a record of its files, a failed series and a series once too short for ``min_slices``
    when a rerun allows fewer slices are analysed again.
    """
    recorded = worklist.recorded(model)
    settled, skipped, not_evaluable, to_analyse = [], [], [], []
    for entry in archive.series:
        status, old_reason, files = recorded.get(entry.key, ("", "", None))
        reason = skip_reason(entry, min_slices)
        refused = None if reason is not None else not_evaluable_reason(entry, min_slices)
        same_files = files is not None and entry.fingerprint is not None and files == entry.fingerprint
        if same_files and (
            (status == DONE and reason is None and refused is None)
            or (status == SKIPPED and old_reason in (reason, NOTHING_DECODED))
            or (status == NOT_EVALUABLE and reason is None and old_reason == refused)
            or (status == NOT_EVALUABLE and reason is None and refused is None and old_reason == NO_LUNG)
        ):
            settled.append(entry)
        elif reason is not None:
            skipped.append((entry, reason))
        elif refused is not None:
            not_evaluable.append((entry, refused))
        else:
            to_analyse.append(entry)
    return TriagePlan(archive, model, tuple(settled), tuple(skipped), tuple(to_analyse), tuple(not_evaluable))


def run_plan(
    plan: TriagePlan,
    worklist: Worklist,
    client,
    spec: ModelSpec,
    on_recorded: Callable[[WorklistRow], None] | None = None,
    task: Task = analyse_series,
) -> TriageSummary:
    """Record the skipped series, analyse the others on ``client``'s cluster and record each as it ends.

    Each worker loads the model once (:class:`~lungview.triage.task.FinderPreload`) before the analysis is timed;
    ``client`` may be None when there is nothing to analyse.

    Raises
    ------
    TriageError
        When a worker cannot load the model; the series recorded so far stay recorded.
    """
    statuses: Counter[str] = Counter()
    slices = 0

    def record(row: WorklistRow) -> None:
        nonlocal slices
        worklist.record(row)
        statuses[row.status] += 1
        slices += row.slice_count if row.status == DONE else 0
        if on_recorded is not None:
            on_recorded(row)

    worklist.use_model(plan.model)
    worklist.record_unusable_files(plan.archive.unusable_files)
    for entry, reason in plan.skipped:
        record(skipped_row(entry, reason, plan.model))
    for entry, reason in plan.not_evaluable:
        record(not_evaluable_row(entry, reason, plan.model))
    if plan.to_analyse and task is analyse_series:  # every worker loads the model once, before the clock starts
        client.register_plugin(FinderPreload(spec))
    started = time.perf_counter()
    for entry, outcome in analyse_on_cluster(client, plan.to_analyse, spec, task):
        record(_row(entry, outcome, plan.model))
    seconds = time.perf_counter() - started
    counts = {status: statuses[status] for status in (DONE, NOT_EVALUABLE, SKIPPED, FAILED)}
    log.info(
        "triage: %d done, %d not evaluable, %d skipped, %d failed in %.1f s",
        counts[DONE], counts[NOT_EVALUABLE], counts[SKIPPED], counts[FAILED], seconds,
    )
    return TriageSummary(
        len(plan.archive.studies), len(plan.archive.series), len(plan.settled), counts, slices, seconds
    )


def analyse_on_cluster(
    client, entries: Iterable[ArchiveSeries], spec: ModelSpec, task: Task = analyse_series
) -> Iterator[tuple[ArchiveSeries, SeriesAnalysis | BaseException]]:
    """Run ``task`` on every entry on the cluster, a few per worker thread at a time; yield each as it ends.

    The outcome is the task's :class:`SeriesAnalysis`, or the exception that ended it. A series ended by
    ``KilledWorker`` (running on workers that died more often than Dask allows) is run once more on its own after
    the others: it may only have shared a worker with the series that killed it; its second outcome is final.
    """
    entries = list(entries)
    if not entries:
        return
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    pending = iter(entries)
    submitted: dict[str, ArchiveSeries] = {}
    suspects: list[ArchiveSeries] = []

    def submit(entry: ArchiveSeries, suffix: str = ""):
        digest = hashlib.sha256(entry.key.encode()).hexdigest()[:16]
        key = f"lungview-triage-{run}-{digest}{suffix}"
        future = client.submit(task, entry.key, without_identity(entry.series), spec, key=key, pure=False)
        submitted[future.key] = entry
        return future

    queue = as_completed([submit(entry) for entry in itertools.islice(pending, _queue_length(client))])
    for future in queue:
        entry = submitted.pop(future.key)
        outcome = _outcome(future)
        for entry_next in itertools.islice(pending, max(0, _queue_length(client) - queue.count())):
            queue.add(submit(entry_next))
        if _killed_workers(outcome):
            suspects.append(entry)
        else:
            yield entry, outcome
    for entry in suspects:  # one at a time: whatever kills a worker now is this series
        future = submit(entry, "-alone")
        submitted.pop(future.key)
        yield entry, _outcome(future)


def _outcome(future) -> SeriesAnalysis | BaseException:
    """The result of a finished task, or the exception that ended it; the future is released."""
    try:
        return future.result()
    except Exception as error:  # noqa: BLE001 - KilledWorker, a lost cluster: recorded as this series' failure
        return error
    finally:
        future.release()


def _killed_workers(outcome: SeriesAnalysis | BaseException) -> bool:
    """True when the task was given up because the workers running it died (Dask's KilledWorker)."""
    return type(outcome).__name__ == "KilledWorker"


def _queue_length(client) -> int:
    """Series to keep on the cluster: :data:`QUEUED_PER_THREAD` per worker thread (at least 4)."""
    return max(4, QUEUED_PER_THREAD * sum(client.nthreads().values()))


def _row(entry: ArchiveSeries, outcome: SeriesAnalysis | BaseException, model: dict) -> WorklistRow:
    """The worklist row of one finished task; raises TriageError when the model could not be loaded."""
    if isinstance(outcome, BaseException):
        return failed_row(entry, _failure_sentence(outcome), model)
    if outcome.model_error:
        raise TriageError(f"a worker cannot load the model: {outcome.error}")
    if outcome.lesions is None:
        return failed_row(entry, outcome.error, model, outcome.seconds)
    return analysed_row(entry, outcome.lesions, outcome.seconds)


def _failure_sentence(error: BaseException) -> str:
    """A plain sentence for an exception that ended a task on the cluster."""
    if _killed_workers(error):
        return (
            "the workers running this series died every time it was tried, also on its own (a crash while decoding "
            f"or analysing it, or too little memory); given up after Dask's allowed failures ({type(error).__name__})"
        )
    return f"{type(error).__name__}: {error}"
