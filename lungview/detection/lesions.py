"""What the lesion finder answers for one CT series: ranked lesion candidates located in 3-D. No torch, no Qt."""

from __future__ import annotations

from dataclasses import dataclass

#: A box on one slice in pixels of the original slice: (row0, col0, row1, col1), inclusive.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class LesionSlice:
    """One slice a lesion candidate spans and its box there."""

    index: int
    """Slice index (from 0) in the geometrically sorted series."""
    instance_number: int | None
    sop_instance_uid: str
    box: Box


@dataclass(frozen=True)
class Lesion:
    """A lesion candidate: the slices it spans, a box on each, its centre and its score."""

    rank: int
    """1 for the highest score."""
    score: float
    """Calibrated probability that the candidate is a tumour (the card's threshold applies to it)."""
    centre_index: int
    centre_row: float
    centre_col: float
    centre_xyz_mm: tuple[float, float, float] | None
    """Patient coordinates (DICOM LPS, mm) of the centre; None where the geometry is unknown."""
    slices: tuple[LesionSlice, ...]

    @property
    def indices(self) -> tuple[int, ...]:
        """Slice indices the candidate spans, in order."""
        return tuple(s.index for s in self.slices)

    def box_on(self, index: int) -> Box | None:
        """The candidate's box on slice ``index``, or None when it does not span it."""
        return next((s.box for s in self.slices if s.index == index), None)

    def side(self, columns: int, row_direction_x: float = 1.0) -> str:
        """``"right"`` or ``"left"`` lung (patient side) from the centre column; radiological display puts the
        patient's right on the image's left when the row direction points to the patient's left (+x in LPS)."""
        on_image_left = self.centre_col < columns / 2
        return "right" if on_image_left == (row_direction_x >= 0) else "left"


@dataclass(frozen=True)
class SeriesLesions:
    """Every candidate found in one series, ranked by score, and the threshold that makes a candidate a finding."""

    series_uid: str
    model: dict
    """``{"id", "version", "sha256"}`` of the model that scored the candidates."""
    threshold: float
    candidates: tuple[Lesion, ...]
    slice_scores: tuple[float | None, ...]
    """Per slice, the calibrated tumour score used for the slice decision (None where a slice was not analysed)."""

    @property
    def findings(self) -> tuple[Lesion, ...]:
        """Candidates at or above the threshold, best first."""
        return tuple(c for c in self.candidates if c.score >= self.threshold)

    def best_covering(self, index: int) -> Lesion | None:
        """The highest-ranked finding that spans slice ``index``, or None."""
        return next((c for c in self.findings if c.box_on(index) is not None), None)
