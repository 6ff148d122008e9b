"""Where the AI's lesion findings lie on an axial, coronal or sagittal image. No Qt.

A finding spans axial slices with one box and mask per slice (:class:`lungview.detection.lesions.Lesion`). On its
axial slices it is its outline (its box where the model gave no mask); on a coronal or sagittal image it is its
z-extent by its column (coronal) or row (sagittal) extent, marked ``cut`` when the plane shown passes through it.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from lungview.detection.lesions import Lesion, LesionSlice, SeriesLesions
from lungview.planes.reformat import ReformatVolume


@dataclass(frozen=True)
class PlaneBox:
    """A rectangle in continuous image coordinates (bottom and right exclusive) with a label."""

    top: float
    left: float
    bottom: float
    right: float
    label: str
    cut: bool = True
    """True when the image shown passes through the finding (drawn solid), else it is projected (drawn dashed)."""
    outline: tuple[tuple[tuple[float, float], ...], ...] = ()
    """The finding's outline on this image: closed polygons of (row, column) pixel corners; empty: draw the box."""


def mask_outline(piece: LesionSlice) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The outer contours of a finding's mask on one slice, in (row, column) image coordinates."""
    if piece.mask is None:
        return ()
    contours, _ = cv2.findContours(piece.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    row0, col0 = piece.box[0], piece.box[1]
    return tuple(
        tuple((float(row0 + y + 0.5), float(col0 + x + 0.5)) for x, y in contour.reshape(-1, 2))
        for contour in contours
        if len(contour) >= 3
    )


def finding_label(lesion: Lesion) -> str:
    """``"#1 0.87"``: rank and score of a finding."""
    return f"#{lesion.rank} {lesion.score:.2f}"


def axial_boxes(lesions: SeriesLesions | None, index: int) -> list[PlaneBox]:
    """The boxes of the findings that span axial slice ``index``."""
    boxes = []
    for lesion in lesions.findings if lesions is not None else ():
        piece = next((s for s in lesion.slices if s.index == index), None)
        if piece is not None:
            row0, col0, row1, col1 = piece.box
            boxes.append(PlaneBox(row0, col0, row1 + 1, col1 + 1, finding_label(lesion), outline=mask_outline(piece)))
    return boxes


def reformat_boxes(
    lesions: SeriesLesions | None, volume: ReformatVolume, plane: str, position: int
) -> list[PlaneBox]:
    """The findings on the ``coronal`` or ``sagittal`` image through axial row or column ``position``."""
    boxes = []
    for lesion in lesions.findings if lesions is not None else ():
        if not lesion.slices or max(lesion.indices) >= len(volume.source_z):
            continue
        planes = [volume.plane_of_slice(index) for index in lesion.indices]
        top, bottom = volume.display_row(max(planes)), volume.display_row(min(planes)) + 1
        if plane == "coronal":
            across = [(s.box[1], s.box[3]) for s in lesion.slices]  # columns: horizontal on a coronal image
            through = [(s.box[0], s.box[2]) for s in lesion.slices]  # rows: which coronal planes cut it
        else:
            across = [(s.box[0], s.box[2]) for s in lesion.slices]
            through = [(s.box[1], s.box[3]) for s in lesion.slices]
        left, right = min(a for a, _ in across), max(b for _, b in across) + 1
        cut = any(low <= position <= high for low, high in through)
        boxes.append(PlaneBox(top, left, bottom, right, finding_label(lesion), cut))
    return boxes
