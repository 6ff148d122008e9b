"""Find a finding's slice among the series the viewer has loaded."""

from collections.abc import Sequence

from lungview.findings.finding import FindingLocation
from lungview.volume import Series


def locate_finding(location: FindingLocation, series: Sequence[Series]) -> tuple[Series, int] | None:
    """The loaded series and slice index that hold ``location``, or None when it is not loaded.

    The slice is matched by SOP Instance UID, never by position alone, so a series re-sorted or loaded with
    fewer files does not open the wrong slice.
    """
    for candidate in series:
        if candidate.series_uid != location.series_uid:
            continue
        for index, slice_ref in enumerate(candidate.slices):
            if slice_ref.sop_instance_uid == location.sop_instance_uid:
                return candidate, index
    return None
