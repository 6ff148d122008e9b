"""What a finding is: a reviewer's decision about the AI result on one slice."""

from dataclasses import dataclass, field

from lungview.findings.measurement import Measurement
from lungview.volume import Series

DECISIONS: tuple[str, ...] = ("agree", "disagree", "unsure")
"""The reviewer's answer to the AI result."""


@dataclass(frozen=True)
class ReviewedSlice:
    """The slice on screen and the AI result the reviewer judges: everything a finding records besides the decision."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    slice_index: int
    """Position in the geometrically sorted series, from 0."""
    model_id: str
    model_version: str
    weights_sha256: str
    probabilities: dict[str, float] = field(default_factory=dict)
    """Class name -> calibrated probability, as shown to the reviewer."""
    source_path: str = ""
    """File the slice was read from, to reopen it when the series is not loaded."""


@dataclass(frozen=True)
class FindingLocation:
    """What the viewer needs to navigate back to a finding's slice."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    slice_index: int
    source_path: str


@dataclass(frozen=True)
class Finding:
    """One saved finding, as stored in the findings log."""

    finding_id: int
    recorded_at: str
    """UTC time of saving, ISO 8601 (``2026-11-24T21:30:00.123456+00:00``)."""
    reviewed: ReviewedSlice
    decision: str
    lung_rads: str | None
    """The reviewer's own Lung-RADS v2022 category, or None."""
    note: str
    measurements: tuple[Measurement, ...] = ()
    """Rulers and ROIs the reviewer kept with the finding, in any plane."""

    @property
    def location(self) -> FindingLocation:
        """Where to reopen this finding."""
        r = self.reviewed
        return FindingLocation(r.study_uid, r.series_uid, r.sop_instance_uid, r.slice_index, r.source_path)


def validate_decision(decision: str) -> str:
    """Return ``decision`` in lower case; raise ValueError unless it is agree, disagree or unsure."""
    canonical = decision.strip().lower()
    if canonical not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    return canonical


def reviewed_slice(
    series: Series, index: int, model_id: str, model_version: str, weights_sha256: str,
    probabilities: dict[str, float],
) -> ReviewedSlice:
    """The :class:`ReviewedSlice` for slice ``index`` of ``series`` judged against a model's probabilities."""
    slice_ref = series.slices[index]
    return ReviewedSlice(
        study_uid=series.study_uid,
        series_uid=series.series_uid,
        sop_instance_uid=slice_ref.sop_instance_uid,
        slice_index=index,
        model_id=model_id,
        model_version=model_version,
        weights_sha256=weights_sha256,
        probabilities={name: float(value) for name, value in probabilities.items()},
        source_path=slice_ref.path,
    )
