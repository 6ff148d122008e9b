"""Annotation regions as an RGBA image of an axial, coronal or sagittal plane: outline or fill. No Qt."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.ndimage import binary_erosion

from lungview.annotations.regions import AnnotationOverlay, Region
from lungview.planes.reformat import ReformatVolume

MODES = ("outline", "fill")
FILL_ALPHA = 0.45
"""Fill is drawn at this fraction of the opacity, under a full-opacity outline, so the tissue stays readable."""


def axial_mask(region: Region, index: int, shape: tuple[int, int]) -> np.ndarray | None:
    """The region on axial slice ``index`` as a whole-slice bool mask, or None where it does not touch the slice."""
    mask = region.slices.get(index)
    return None if mask is None else mask.full(shape)


def reformat_mask(region: Region, volume: ReformatVolume, plane: str, position: int) -> np.ndarray | None:
    """The region on the ``coronal`` (axial row ``position``) or ``sagittal`` (column) image of ``volume``.

    Each axial slice covers the display rows of its plane position, half a slice spacing either way, so a
    resampled (finer) grid shows no gaps.
    """
    rows, cols = volume.hu.shape[1:]
    width = cols if plane == "coronal" else rows
    out = np.zeros((volume.planes, width), bool)
    z = np.asarray(volume.source_z)
    spacing = float(np.median(np.diff(z))) if len(z) > 1 else volume.step
    half = max(spacing / volume.step / 2, 0.5)
    hit = False
    for index, mask in region.slices.items():
        if index >= len(z):
            continue
        height, breadth = mask.crop.shape
        if plane == "coronal":
            if not mask.row <= position < mask.row + height:
                continue
            line, start = mask.crop[position - mask.row], mask.col
        else:
            if not mask.col <= position < mask.col + breadth:
                continue
            line, start = mask.crop[:, position - mask.col], mask.row
        centre = volume.display_row(volume.plane_of_slice(index))
        top = max(int(np.ceil(centre - half + 1e-6)), 0)
        bottom = min(int(np.floor(centre + half - 1e-6)), volume.planes - 1)
        for row in range(top, max(bottom, top) + 1):
            out[row, start : start + line.size] |= line
        hit = True
    return out if hit else None


def outline(mask: np.ndarray) -> np.ndarray:
    """The mask's boundary pixels (those with a 4-neighbour outside it)."""
    return mask & ~binary_erosion(mask, border_value=0)


def render_rgba(
    masks: Sequence[tuple[np.ndarray, tuple[int, int, int]]], shape: tuple[int, int], mode: str, opacity: float
) -> np.ndarray | None:
    """RGBA uint8 ``shape + (4,)`` of coloured ``masks`` (later ones on top); None when there is nothing to draw."""
    if not masks:
        return None
    rgba = np.zeros((*shape, 4), np.uint8)
    edge_alpha = round(255 * min(max(opacity, 0.0), 1.0))
    for mask, colour in masks:
        if mode == "fill":
            rgba[mask] = (*colour, round(edge_alpha * FILL_ALPHA))
        rgba[outline(mask)] = (*colour, edge_alpha)
    return rgba


def plane_masks(
    overlays: Sequence[AnnotationOverlay],
    plane: str,
    position: int,
    shape: tuple[int, int],
    volume: ReformatVolume | None = None,
    hidden: frozenset[str] = frozenset(),
) -> list[tuple[np.ndarray, tuple[int, int, int]]]:
    """(mask, colour) of every region on the ``plane`` image at ``position`` (axial: slice index).

    Coronal and sagittal need ``volume``; ``hidden`` holds the SOP Instance UIDs of objects switched off.
    """
    found = []
    for overlay in overlays:
        if overlay.source.sop_instance_uid in hidden:
            continue
        for region in overlay.regions:
            if plane == "axial":
                mask = axial_mask(region, position, shape)
            elif volume is not None:
                mask = reformat_mask(region, volume, plane, position)
            else:
                mask = None
            if mask is not None:
                found.append((mask, region.colour))
    return found


def legend(overlays: Sequence[AnnotationOverlay]) -> list[tuple[str, tuple[int, int, int]]]:
    """(name, colour) per region: the region's name, or its object's label where the object has only one region."""
    entries = []
    for overlay in overlays:
        for region in overlay.regions:
            name = region.name if len(overlay.regions) > 1 else overlay.source.label
            entries.append((f"{overlay.source.kind} {name}", region.colour))
    return entries
