"""Synthetic lesions pasted into the tumour-free lung of a real CT volume, for training the lesion network.

Two kinds:

- **Simulated nodules**: an ellipsoid of 5-70 mm (log-uniform), its surface lobulated by a few random harmonics
  and, for a third of them, spiculated (thin spikes out to 1.6 radii); solid (-50 to +50 HU), ground-glass (-750
  to -450 HU) or part-solid (a ground-glass lesion with a solid core of 30-60 % of its radius), with 15 HU noise.
  The lesion raises the attenuation of what it covers (``hu + alpha * max(lesion - hu, 0)``), so the vessels
  through a ground-glass lesion stay visible, as they do in real ones.
- **Real tumours**: the voxels inside another patient's tumour mask, resampled to this volume's voxel size.

Each lesion is placed either free in the lung (its centre at least one radius from the lung's edge) or against
the wall (the centre 0.3-0.8 radii inside the edge, so it touches the mediastinum, hilum, pleura or diaphragm).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

KINDS = ("solid", "part-solid", "ground-glass")
PLACEMENTS = ("free", "wall")


@dataclass(frozen=True)
class Lesion3D:
    """A lesion on a voxel grid: HU values, a blending weight in [0, 1] and its label (where weight > 0.5)."""

    hu: np.ndarray
    alpha: np.ndarray

    @property
    def label(self) -> np.ndarray:
        return self.alpha > 0.5


def simulated_nodule(rng: np.random.Generator, spacing_mm: tuple[float, float, float], kind: str) -> Lesion3D:
    """A simulated nodule of kind ``kind`` on a grid of ``spacing_mm`` (z, row, column)."""
    diameter = float(np.exp(rng.uniform(np.log(5.0), np.log(70.0))))
    radius = diameter / 2
    axes = radius * rng.uniform(0.8, 1.2, 3)
    reach = 1.7 * axes.max()
    grids = [np.arange(-reach, reach + step, step) for step in spacing_mm]
    z, y, x = np.meshgrid(*grids, indexing="ij")
    distance = np.sqrt((z / axes[0]) ** 2 + (y / axes[1]) ** 2 + (x / axes[2]) ** 2)
    theta, phi = np.arctan2(y, x), np.arctan2(z, np.hypot(x, y))
    surface = np.ones_like(distance)
    for order in (2, 3, 5):
        surface += rng.uniform(0, 0.08) * np.sin(order * theta + rng.uniform(0, 2 * np.pi)) * np.cos(
            order * phi + rng.uniform(0, 2 * np.pi)
        )
    if rng.random() < 1 / 3:
        for _ in range(int(rng.integers(4, 12))):
            direction = rng.normal(size=3)
            direction /= np.linalg.norm(direction)
            cosine = (z * direction[0] + y * direction[1] + x * direction[2]) / np.maximum(
                np.sqrt(z**2 + y**2 + x**2), 1e-6
            )
            surface += 0.6 * np.clip((cosine - 0.97) / 0.03, 0, 1) * rng.uniform(0.5, 1.0)
    edge_mm = 1.0
    alpha = np.clip((surface - distance) * radius / edge_mm + 0.5, 0.0, 1.0)
    if kind == "solid":
        hu = np.full(distance.shape, rng.uniform(-50, 50), np.float32)
    else:
        hu = np.full(distance.shape, rng.uniform(-750, -450), np.float32)
        if kind == "part-solid":
            core = rng.uniform(0.3, 0.6)
            hu = np.where(distance < core * surface, rng.uniform(-50, 50), hu).astype(np.float32)
    hu += rng.normal(0, 15, hu.shape).astype(np.float32)
    return Lesion3D(hu, alpha.astype(np.float32))


def real_tumour(
    hu: np.ndarray, mask: np.ndarray, source_spacing: tuple[float, float, float], target_spacing: tuple[float, ...]
) -> Lesion3D | None:
    """The tumour of a donor volume (``hu``, ``mask``) resampled to ``target_spacing``; None without a tumour."""
    if not mask.any():
        return None
    labels, count = ndimage.label(mask)
    sizes = np.bincount(labels.ravel())[1:]
    box = ndimage.find_objects(labels)[int(np.argmax(sizes))]
    box = tuple(slice(max(0, s.start - 2), s.stop + 2) for s in box)
    crop_hu, crop_mask = hu[box], ndimage.binary_opening(mask[box], np.ones((1, 2, 2)))
    if not crop_mask.any():
        crop_mask = mask[box]
    depth = max(1, round(crop_hu.shape[0] * source_spacing[0] / target_spacing[0]))
    rows = max(2, round(crop_hu.shape[1] * source_spacing[1] / target_spacing[1]))
    columns = max(2, round(crop_hu.shape[2] * source_spacing[2] / target_spacing[2]))
    picks = np.clip(np.round(np.linspace(0, crop_hu.shape[0] - 1, depth)).astype(int), 0, crop_hu.shape[0] - 1)
    out_hu = np.stack([cv2.resize(crop_hu[i], (columns, rows), interpolation=cv2.INTER_LINEAR) for i in picks])
    out_alpha = np.stack(
        [cv2.resize(crop_mask[i].astype(np.float32), (columns, rows), interpolation=cv2.INTER_LINEAR) for i in picks]
    )
    return Lesion3D(out_hu.astype(np.float32), out_alpha.astype(np.float32))


def placement_centre(
    rng: np.random.Generator, lung: np.ndarray, avoid: np.ndarray, radius_voxels: np.ndarray, placement: str
) -> tuple[int, int, int] | None:
    """A voxel of ``lung`` for a lesion's centre (``free`` or against the ``wall``), away from ``avoid``."""
    inside = ndimage.distance_transform_edt(lung, sampling=1.0 / np.maximum(radius_voxels, 1e-3))
    if placement == "free":
        allowed = inside >= 1.0
    else:
        allowed = (inside >= 0.3) & (inside <= 0.8)
    allowed &= ~avoid
    candidates = np.argwhere(allowed)
    if len(candidates) == 0:
        return None
    return tuple(int(v) for v in candidates[rng.integers(len(candidates))])


def paste(hu: np.ndarray, label: np.ndarray, lesion: Lesion3D, centre: tuple[int, int, int], raise_only: bool) -> None:
    """Paste ``lesion`` centred at voxel ``centre`` into ``hu`` and its label into ``label``, in place.

    ``raise_only`` blends as a simulated nodule does (what the lesion covers only gets denser); otherwise the
    lesion's voxels replace the volume's where its weight is high (a real tumour brings its own texture)."""
    starts = [c - s // 2 for c, s in zip(centre, lesion.hu.shape)]
    target, source = [], []
    for start, size, limit in zip(starts, lesion.hu.shape, hu.shape):
        low, high = max(start, 0), min(start + size, limit)
        if high <= low:
            return
        target.append(slice(low, high))
        source.append(slice(low - start, high - start))
    target, source = tuple(target), tuple(source)
    alpha, values, region = lesion.alpha[source], lesion.hu[source], hu[target]
    if raise_only:
        hu[target] = region + alpha * np.maximum(values - region, 0)
    else:
        hu[target] = region * (1 - alpha) + values * alpha
    label[target] |= alpha > 0.5
