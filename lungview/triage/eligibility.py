"""Which series of an archive the lesion finder analyses, and why the others are skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line reads MIN_SLICES without importing pydicom
    from lungview.triage.archive import ArchiveSeries

#: Fewer slices than this are not a chest CT volume the lesion finder can use.
MIN_SLICES = 10


def skip_reason(entry: ArchiveSeries, min_slices: int = MIN_SLICES) -> str | None:
    """Why ``entry`` is not analysed (not CT, localiser, too few slices, unreadable), or None to analyse it."""
    series = entry.series
    if entry.modality and entry.modality != "CT":
        return f"not CT ({entry.modality})"
    if series is None:
        return f"unreadable: {entry.problem}" if entry.problem else "unreadable"
    if not entry.modality:
        return "not CT (no modality)"
    if "LOCALIZER" in series.image_type:
        return "localiser (scout image)"
    if not series.has_hu:
        return "not CT: the pixel values are not Hounsfield units"
    if len(series) < min_slices:
        return f"too few slices ({len(series)}, fewer than {min_slices})"
    return None
