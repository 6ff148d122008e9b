"""One worklist row per series: who and what it is, its top finding, the model, the status and the timing."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime, timezone

from lungview.detection import SeriesLesions
from lungview.triage.archive import ArchiveSeries

DONE, SKIPPED, FAILED = "done", "skipped", "failed"
#: A CT series the lesion model cannot read (no lung found, not axial, ...): never ranked, never "nothing found".
NOT_EVALUABLE = "not_evaluable"
#: Where the top score comes from: the best lesion finding, or (without findings) the highest slice score.
FROM_FINDING, FROM_SLICE = "finding", "slice"
#: The skip reason of a series that was analysed but not one of whose slices could be decoded.
NOTHING_DECODED = "unreadable: not one slice could be decoded and scored"


@dataclass(frozen=True)
class TopFinding:
    """The most suspicious place in a series and where its score comes from."""

    source: str
    score: float
    index: int
    row: float | None = None
    col: float | None = None
    xyz_mm: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class WorklistRow:
    """One series in the worklist (clinical content: stored, exported, never logged)."""

    series_key: str
    patient_id: str
    accession_number: str
    study_date: str
    study_uid: str
    series_uid: str
    description: str
    modality: str
    folder: str
    slice_count: int
    status: str
    reason: str = ""
    """Why the series was skipped, or the error that made it fail."""
    top_source: str | None = None
    top_score: float | None = None
    top_index: int | None = None
    top_row: float | None = None
    top_col: float | None = None
    top_x_mm: float | None = None
    top_y_mm: float | None = None
    top_z_mm: float | None = None
    findings: int | None = None
    unscored_slices: int | None = None
    model_id: str = ""
    model_version: str = ""
    model_sha256: str = ""
    seconds: float | None = None
    slices_per_s: float | None = None
    recorded_at: str = ""
    """UTC time the row was written (ISO 8601)."""
    file_count: int | None = None
    """What was analysed: the series' files, their total bytes and the newest modification time (POSIX seconds);
    a rerun analyses the series again when these changed. None in rows written before they were recorded."""
    total_bytes: int | None = None
    newest_mtime: float | None = None


#: Column names in table order.
COLUMNS = tuple(f.name for f in dataclasses.fields(WorklistRow))


def top_finding(lesions: SeriesLesions) -> TopFinding | None:
    """The best finding when there are findings, else the highest-scoring slice; None when nothing was scored."""
    if lesions.findings:
        best = min(lesions.findings, key=lambda lesion: lesion.rank)
        return TopFinding(
            FROM_FINDING, best.score, best.centre_index, best.centre_row, best.centre_col, best.centre_xyz_mm
        )
    scored = [
        (score, index)
        for index, score in enumerate(lesions.slice_scores)
        if score is not None and not math.isnan(score)
    ]
    if not scored:
        return None
    score, index = max(scored, key=lambda pair: (pair[0], -pair[1]))
    return TopFinding(FROM_SLICE, score, index)


def _identity(entry: ArchiveSeries, model: dict) -> dict:
    return dict(
        series_key=entry.key,
        patient_id=entry.fields.patient_id,
        accession_number=entry.fields.accession_number,
        study_date=entry.fields.study_date,
        study_uid=entry.study_uid,
        series_uid=entry.series_uid,
        description=entry.description,
        modality=entry.modality,
        folder=entry.folder,
        slice_count=entry.slice_count,
        model_id=model["id"],
        model_version=model["version"],
        model_sha256=model["sha256"],
        recorded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **dataclasses.asdict(entry.fingerprint) if entry.fingerprint is not None else {},
    )


def skipped_row(entry: ArchiveSeries, reason: str, model: dict) -> WorklistRow:
    """The row of a series that is not analysed, with the reason."""
    return WorklistRow(status=SKIPPED, reason=reason, **_identity(entry, model))


def not_evaluable_row(entry: ArchiveSeries, reason: str, model: dict, seconds: float | None = None) -> WorklistRow:
    """The row of a CT series the lesion model cannot read, with the reason (no score: never ranked)."""
    return WorklistRow(status=NOT_EVALUABLE, reason=reason, seconds=seconds, **_identity(entry, model))


def failed_row(entry: ArchiveSeries, error: str, model: dict, seconds: float | None = None) -> WorklistRow:
    """The row of a series whose analysis failed, with the error."""
    return WorklistRow(status=FAILED, reason=error, seconds=seconds, **_identity(entry, model))


def analysed_row(entry: ArchiveSeries, lesions: SeriesLesions, seconds: float) -> WorklistRow:
    """The row of an analysed series; not evaluable when the model could not read it, skipped as unreadable when not
    one of its slices could be scored."""
    if lesions.not_evaluable:
        return not_evaluable_row(entry, lesions.not_evaluable, lesions.model, seconds)
    top = top_finding(lesions)
    if top is None:
        return skipped_row(entry, NOTHING_DECODED, lesions.model)
    x, y, z = top.xyz_mm if top.xyz_mm is not None else (None, None, None)
    return WorklistRow(
        status=DONE,
        top_source=top.source,
        top_score=top.score,
        top_index=top.index,
        top_row=top.row,
        top_col=top.col,
        top_x_mm=x,
        top_y_mm=y,
        top_z_mm=z,
        findings=len(lesions.findings),
        unscored_slices=sum(score is None for score in lesions.slice_scores),
        seconds=seconds,
        slices_per_s=entry.slice_count / seconds if seconds > 0 else None,
        **_identity(entry, lesions.model),
    )
