"""Which series of an archive triage analyses: non-CT and unreadable series are skipped; CT series the lesion model
cannot read are not evaluable, by the rule the viewer and the commands share
(:mod:`lungview.detection.eligibility`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line reads MIN_SLICES without importing pydicom
    from lungview.triage.archive import ArchiveSeries

#: Fewer slices than this are not a chest CT volume the lesion finder can use (the shared rule's default).
MIN_SLICES = 10


def skip_reason(entry: ArchiveSeries, min_slices: int = MIN_SLICES) -> str | None:
    """Why ``entry`` is not a candidate at all (not CT, unreadable), or None for a CT series (``min_slices`` is
    accepted for callers that pass it; :func:`not_evaluable_reason` applies it)."""
    if entry.modality and entry.modality != "CT":
        return f"not CT ({entry.modality})"
    if entry.series is None:
        return f"unreadable: {entry.problem}" if entry.problem else "unreadable"
    if not entry.modality:
        return "not CT (no modality)"
    return None


def not_evaluable_reason(entry: ArchiveSeries, min_slices: int = MIN_SLICES) -> str | None:
    """Why the lesion model cannot read the CT series ``entry`` from its headers (localizer, not axial, too few
    slices, too thick, not HU), or None; "no lung found" needs the pixels and comes from the analysis."""
    from lungview.detection.eligibility import header_reason

    return None if entry.series is None else header_reason(entry.series, min_slices)
