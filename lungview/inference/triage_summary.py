"""A series triage result in words and rows for a reader: its findings with side and size, its most suspicious slices
with their labels, and one status sentence. Pure functions of the result (the viewer's AI panel shows them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lungview.detection.lesions import Lesion, SeriesLesions
    from lungview.inference.jobs import TriageResult
    from lungview.volume import Series

SUSPICIOUS_COUNT = 10
"""How many of the most suspicious slices the reader is offered."""
UNKNOWN_SIDE = "unknown side"


def finding_side(lesion: Lesion) -> str:
    """The patient side of a finding (from its centre's patient coordinates), or "unknown side"."""
    return lesion.side or UNKNOWN_SIDE


def finding_description(lesion: Lesion) -> str:
    """Where a finding is and how large: ``right lung, upper zone · 24 × 17 mm · 3.1 mL · solid`` (parts the model
    did not measure are left out)."""
    where = f"{finding_side(lesion)} lung" + (f", {lesion.zone} zone" if lesion.zone else "")
    parts = [where]
    if lesion.long_axis_mm is not None and lesion.short_axis_mm is not None:
        parts.append(f"{lesion.long_axis_mm:.0f} × {lesion.short_axis_mm:.0f} mm")
    if lesion.volume_ml is not None:
        parts.append(f"{lesion.volume_ml:.1f} mL")
    if lesion.attenuation:
        parts.append(lesion.attenuation)
    return " · ".join(parts)


def finding_rows(lesions: SeriesLesions) -> list[tuple[int, float, tuple[int, ...], str, int]]:
    """One (rank, score, slice indices, description, centre slice index) row per finding, best first."""
    return [
        (lesion.rank, lesion.score, lesion.indices, finding_description(lesion), lesion.centre_index)
        for lesion in lesions.findings
    ]


def slice_label(series: Series, index: int) -> str:
    """"Slice N" (from 1) with the slice's instance number where the file has one."""
    number = series.slices[index].instance_number
    return f"Slice {index + 1}" + (f" (instance {number})" if number is not None else "")


def suspicious_rows(
    series: Series, result: TriageResult, count: int = SUSPICIOUS_COUNT
) -> list[tuple[int, float, str]]:
    """The ``count`` most suspicious slices as (index, probability, label), most suspicious first."""
    return [(index, chance, slice_label(series, index)) for index, chance in result.most_suspicious(count)]


def triage_notes(series: Series, result: TriageResult) -> str:
    """How many slices were scored with which model, and how many could not be decoded or are out of scope."""
    notes = [f"{len(series) - len(result.failures)} slices scored with {result.model_id}."]
    if result.failures:
        notes.append(f"{len(result.failures)} could not be decoded.")
    if result.out_of_scope:
        notes.append(f"{len(result.out_of_scope)} are out of scope for this model.")
    return " ".join(notes)
