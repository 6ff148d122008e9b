"""What a reader measures on a lesion mask: axial long and short axis, volume, mean HU and attenuation.

The long axis is the longest in-plane diameter on the axial slice where the lesion's area is largest, and the short
axis the lesion's extent perpendicular to it on that slice, as readers measure nodules (Fleischner Society, 2017;
Lung-RADS v2022). The attenuation follows the share of the lesion's core voxels denser than :data:`SOLID_HU`: the
rim and the end slices, blurred with the lung around them by partial volume, would make small solid nodules look
part-solid. Without a known pixel spacing the sizes are not given.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Voxels denser than this are the solid part (HU); ground-glass lies between about -750 and -300 HU.
SOLID_HU = -300.0
#: Solid share at or above which a lesion is solid, and below which it is ground-glass.
SOLID_SHARE = 0.7
GROUND_GLASS_SHARE = 0.2


@dataclass(frozen=True)
class LesionSize:
    long_axis_mm: float | None
    short_axis_mm: float | None
    volume_ml: float | None
    mean_hu: float
    attenuation: str


def axes_mm(plane: np.ndarray, row_mm: float, column_mm: float) -> tuple[float, float]:
    """Long axis and perpendicular extent (mm) of the region ``plane`` (bool) with pixels of the given size."""
    rows, columns = np.nonzero(plane)
    points = np.stack([columns * column_mm, rows * row_mm], axis=1).astype(np.float32)
    if len(points) == 1:
        return float(max(row_mm, column_mm)), float(min(row_mm, column_mm))
    hull = cv2.convexHull(points).reshape(-1, 2).astype(np.float64)
    differences = hull[:, None, :] - hull[None, :, :]
    distances = np.hypot(differences[..., 0], differences[..., 1])
    first, second = np.unravel_index(int(np.argmax(distances)), distances.shape)
    direction = hull[second] - hull[first]
    length = float(np.hypot(*direction))
    if length == 0:
        return float(max(row_mm, column_mm)), float(min(row_mm, column_mm))
    normal = np.array([-direction[1], direction[0]]) / length
    across = points.astype(np.float64) @ normal
    pixel = float(np.hypot(row_mm, column_mm)) / np.sqrt(2)
    return float(length + pixel), float(across.max() - across.min() + pixel)


def attenuation(hu_values: np.ndarray) -> str:
    """``"solid"``, ``"part-solid"`` or ``"ground-glass"`` from a lesion's voxel HU."""
    share = float(np.mean(hu_values > SOLID_HU)) if hu_values.size else 0.0
    if share >= SOLID_SHARE:
        return "solid"
    return "ground-glass" if share < GROUND_GLASS_SHARE else "part-solid"


def core_values(masks: list[np.ndarray], hu_planes: list[np.ndarray]) -> np.ndarray:
    """HU of the lesion's core: each mask eroded by one pixel, without the end slices when it spans three or more
    (empty when nothing is left)."""
    kept = range(1, len(masks) - 1) if len(masks) >= 3 else range(len(masks))
    kernel = np.ones((3, 3), np.uint8)
    return np.concatenate([hu_planes[i][cv2.erode(masks[i].astype(np.uint8), kernel).astype(bool)] for i in kept])


def measure(
    masks: list[np.ndarray], hu_planes: list[np.ndarray], spacing_mm: tuple[float, float, float] | None
) -> LesionSize:
    """The size of a lesion given its mask and HU on each slice it spans (same order), in mm, mL and HU;
    ``spacing_mm`` is (slice step, row, column), None when unknown (then no size is given)."""
    values = np.concatenate([hu[mask] for mask, hu in zip(masks, hu_planes)])
    core = core_values(masks, hu_planes)
    mean_hu, kind = round(float(values.mean()), 1), attenuation(core if core.size else values)
    if spacing_mm is None:
        return LesionSize(None, None, None, mean_hu, kind)
    slice_mm, row_mm, column_mm = spacing_mm
    areas = [int(mask.sum()) for mask in masks]
    long_axis, short_axis = axes_mm(masks[int(np.argmax(areas))], row_mm, column_mm)
    volume = sum(areas) * row_mm * column_mm * slice_mm / 1000.0
    return LesionSize(round(long_axis, 1), round(short_axis, 1), round(volume, 3), mean_hu, kind)
