"""What an annotation object draws on a series: named, coloured regions as masks on the series' slices. No Qt."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lungview.volume import AnnotationObject

#: Colours for regions that state none: red, yellow, cyan, magenta, green, orange, blue, pink.
PALETTE = (
    (255, 60, 60), (255, 210, 0), (0, 200, 255), (255, 0, 255), (0, 220, 90), (255, 140, 0), (80, 120, 255),
    (255, 150, 200),
)


class AnnotationError(ValueError):
    """An annotation object cannot be drawn on the series; the message says why in one sentence."""


@dataclass(frozen=True, eq=False)
class SliceMask:
    """A region's pixels on one slice: a bool crop and where its top-left pixel lies (row, col)."""

    row: int
    col: int
    crop: np.ndarray

    @classmethod
    def from_full(cls, mask: np.ndarray) -> SliceMask | None:
        """The tight crop of a whole-slice bool ``mask``; None when it is empty."""
        rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        if rows.size == 0:
            return None
        return cls(int(rows[0]), int(cols[0]), mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy())

    def full(self, shape: tuple[int, int]) -> np.ndarray:
        """The mask on a whole slice of ``shape``."""
        full = np.zeros(shape, bool)
        height, width = self.crop.shape
        full[self.row : self.row + height, self.col : self.col + width] = self.crop
        return full


@dataclass(frozen=True, eq=False)
class Region:
    """One segment or ROI: its name, display colour (RGB) and its mask on each slice index it touches."""

    name: str
    colour: tuple[int, int, int] | None
    """The colour the object recommends; None where it gives none (the loader then picks one of :data:`PALETTE`)."""
    slices: dict[int, SliceMask] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class AnnotationOverlay:
    """The regions of one annotation object drawn on one series, and what was left out (plain sentences)."""

    source: AnnotationObject
    regions: tuple[Region, ...]
    notes: tuple[str, ...] = ()


def palette_colour(number: int) -> tuple[int, int, int]:
    """The ``number``-th (from 0) colour of :data:`PALETTE`, cycling."""
    return PALETTE[number % len(PALETTE)]
