"""Score lesion candidates with a network's cell map and turn chains of blobs into ranked, located lesions.

A blob's logit is the network's tumour cell logit, bilinearly sampled at the blob's centre, taken relative to the
series' own candidates (:func:`series_relative`); its probability is that logit through the card's temperature.
A chain (a candidate spanning at least :data:`MIN_SLICES` slices) scores the median of its blobs' probabilities, so
one bright slice does not make a finding. Candidates that are parts of one lesion (on a shared slice, one's centre
lies in the other's box) are merged, keeping the best score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lungview.detection.candidates import Blob
from lungview.detection.lesions import Box, Lesion, LesionSlice

#: A candidate must span at least this many slices to become a lesion (a lesion persists; a vessel moves on).
MIN_SLICES = 2
#: A blob's logit is taken relative to this percentile of the logits of every candidate blob of its series, so a
#: scanner or reconstruction that lifts every score (noise, kernel) does not lift the findings with it.
SERIES_REFERENCE_PERCENTILE = 90.0


def series_relative(logits: np.ndarray) -> np.ndarray:
    """``logits`` minus their :data:`SERIES_REFERENCE_PERCENTILE` percentile (empty stays empty)."""
    logits = np.asarray(logits, np.float64)
    return logits - np.percentile(logits, SERIES_REFERENCE_PERCENTILE) if logits.size else logits


@dataclass(frozen=True)
class Grid:
    """How original slice pixels map onto a network's cell map: the crop the network saw, its input size and the
    letterbox offsets, and the cell size in input pixels."""

    top: int
    left: int
    scale: float
    """Input pixels per original pixel."""
    offset_rows: int
    offset_columns: int
    cell: float
    """Input pixels per cell."""

    def cell_position(self, row: float, column: float) -> tuple[float, float]:
        """Continuous (row, column) on the cell map of the original pixel centre (``row``, ``column``)."""
        input_row = self.offset_rows + (row - self.top + 0.5) * self.scale
        input_column = self.offset_columns + (column - self.left + 0.5) * self.scale
        return input_row / self.cell - 0.5, input_column / self.cell - 0.5


def bilinear(plane: np.ndarray, row: float, column: float) -> float:
    """The value of ``plane`` at a continuous position (clamped to its edge)."""
    height, width = plane.shape
    row, column = min(max(row, 0.0), height - 1.0), min(max(column, 0.0), width - 1.0)
    r0, c0 = int(row), int(column)
    r1, c1 = min(r0 + 1, height - 1), min(c0 + 1, width - 1)
    dr, dc = row - r0, column - c0
    top = plane[r0, c0] * (1 - dc) + plane[r0, c1] * dc
    bottom = plane[r1, c0] * (1 - dc) + plane[r1, c1] * dc
    return float(top * (1 - dr) + bottom * dr)


def original_centre(blob: Blob, factor: int) -> tuple[float, float]:
    """The blob's centre in original pixels (``factor``: original pixels per working pixel)."""
    return (blob.centroid[0] + 0.5) * factor - 0.5, (blob.centroid[1] + 0.5) * factor - 0.5


def original_box(blob: Blob, factor: int, shape: tuple[int, int]) -> Box:
    """The blob's box in original pixels (inclusive), clipped to a slice of ``shape``."""
    row0, col0, row1, col1 = blob.box
    return (
        row0 * factor,
        col0 * factor,
        min(shape[0] - 1, row1 * factor + factor - 1),
        min(shape[1] - 1, col1 * factor + factor - 1),
    )


def probability(logit: float | np.ndarray, temperature: float) -> float | np.ndarray:
    """The calibrated tumour probability of a logit."""
    return 1.0 / (1.0 + np.exp(-np.asarray(logit, np.float64) / temperature))


@dataclass(frozen=True)
class ScoredBlob:
    """A blob with its original-pixel centre and box and its calibrated probability."""

    blob: Blob
    centre: tuple[float, float]
    box: Box
    probability: float

    @property
    def index(self) -> int:
        return self.blob.index


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


@dataclass
class _Candidate:
    score: float
    boxes: dict[int, Box]
    centres: dict[int, tuple[float, float, float]]
    """Slice index -> (row, column, probability) of its best blob."""


def chain_score(chain: Sequence[ScoredBlob]) -> float:
    """A chain's score: the median probability of its blobs."""
    return float(np.median([blob.probability for blob in chain]))


def _inside(point: tuple[float, float], box: Box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _same_lesion(chain: Sequence[ScoredBlob], seed: dict[int, ScoredBlob]) -> bool:
    """Whether ``chain`` is part of the lesion of ``seed`` (slice index -> blob): on a shared slice one blob's centre
    lies in the other's box."""
    return any(
        blob.index in seed
        and (_inside(blob.centre, seed[blob.index].box) or _inside(seed[blob.index].centre, blob.box))
        for blob in chain
    )


def merge_chains(chains: Sequence[Sequence[ScoredBlob]]) -> list[_Candidate]:
    """Candidates from chains of at least :data:`MIN_SLICES` blobs, best first; a chain that is part of a better
    chain's lesion (a blob centre inside the other's box on a shared slice) joins that candidate."""
    candidates: list[tuple[_Candidate, dict[int, ScoredBlob]]] = []
    for chain in sorted((c for c in chains if len(c) >= MIN_SLICES), key=chain_score, reverse=True):
        home = next((candidate for candidate, seed in candidates if _same_lesion(chain, seed)), None)
        if home is None:
            home = _Candidate(chain_score(chain), {}, {})
            candidates.append((home, {blob.index: blob for blob in chain}))
        for blob in chain:
            index = blob.index
            home.boxes[index] = _union(home.boxes[index], blob.box) if index in home.boxes else blob.box
            best = home.centres.get(index)
            if best is None or blob.probability > best[2]:
                home.centres[index] = (*blob.centre, blob.probability)
    return [candidate for candidate, _ in candidates]


def lesions_from_chains(
    chains: Sequence[Sequence[ScoredBlob]],
    slice_identity: Sequence[tuple[int | None, str]],
    patient_position: callable | None = None,
) -> list[Lesion]:
    """Ranked :class:`Lesion` objects from scored chains.

    ``slice_identity`` gives (InstanceNumber, SOPInstanceUID) per slice index; ``patient_position(index, row,
    column)`` the patient coordinates in mm (None where unknown). The centre is the best blob of the middle slice.
    """
    lesions = []
    for rank, candidate in enumerate(merge_chains(chains), start=1):
        indices = sorted(candidate.boxes)
        middle = indices[len(indices) // 2]
        row, column, _ = candidate.centres[middle]
        xyz = patient_position(middle, row, column) if patient_position else None
        slices = tuple(
            LesionSlice(index, slice_identity[index][0], slice_identity[index][1], candidate.boxes[index])
            for index in indices
        )
        lesions.append(Lesion(rank, candidate.score, middle, round(row, 1), round(column, 1), xyz, slices))
    return lesions


def slice_scores(lesions: Sequence[Lesion], count: int) -> list[float]:
    """Per slice, the best score of the lesions that span it (0 where none does)."""
    scores = [0.0] * count
    for lesion in lesions:
        for index in lesion.indices:
            scores[index] = max(scores[index], lesion.score)
    return scores
