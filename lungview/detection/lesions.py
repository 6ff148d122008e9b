"""What the lesion finder answers for one CT series: ranked lesion candidates located in 3-D. No torch, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
    mask: np.ndarray | None = field(default=None, compare=False)
    """The lesion's pixels on this slice: a bool array of the box's shape (rows, columns), or None."""

    def full_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """The lesion's pixels on this slice as a bool array of the whole slice (``shape``); the box where no mask."""
        full = np.zeros(shape, bool)
        row0, col0, row1, col1 = self.box
        full[row0 : row1 + 1, col0 : col1 + 1] = True if self.mask is None else self.mask
        return full


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
    long_axis_mm: float | None = None
    """Longest in-plane diameter on the axial slice where the lesion is largest (as readers measure it)."""
    short_axis_mm: float | None = None
    """The lesion's extent perpendicular to the long axis on that slice."""
    volume_ml: float | None = None
    mean_hu: float | None = None
    attenuation: str | None = None
    """``"solid"``, ``"part-solid"`` or ``"ground-glass"`` from the lesion's HU."""
    side: str | None = None
    """``"right"`` or ``"left"`` (the patient's side, from the patient coordinates of the centre)."""
    zone: str | None = None
    """``"upper"``, ``"middle"`` or ``"lower"`` third of the lung's cranio-caudal extent."""

    @property
    def indices(self) -> tuple[int, ...]:
        """Slice indices the candidate spans, in order."""
        return tuple(s.index for s in self.slices)

    def box_on(self, index: int) -> Box | None:
        """The candidate's box on slice ``index``, or None when it does not span it."""
        return next((s.box for s in self.slices if s.index == index), None)


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
    not_evaluable: str | None = None
    """Why the model could not read the series (no lung, not axial, ...): then nothing was looked for and there are
    no candidates. None for a series that was read."""

    @property
    def findings(self) -> tuple[Lesion, ...]:
        """Candidates at or above the threshold, best first."""
        return tuple(c for c in self.candidates if c.score >= self.threshold)

    def best_covering(self, index: int) -> Lesion | None:
        """The highest-ranked finding that spans slice ``index``, or None."""
        return next((c for c in self.findings if c.box_on(index) is not None), None)
