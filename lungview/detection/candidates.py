"""Lesion candidates in a CT volume: soft-tissue blobs inside the lung fields, linked across slices.

Pure numpy/OpenCV/SciPy. Per slice (at about 1.5 mm pixels): the lungs are the air (< -400 HU) inside the body;
the lung field of each side is the convex hull of its lung, so nodules on the pleura and masses that replace lung
stay inside; soft tissue (> :data:`TISSUE_HU`) in the field, opened to drop vessels thinner than
:data:`OPEN_MM`, is split into blobs by a watershed of its distance map. Blobs of neighbouring slices that overlap
are one candidate: a lesion persists over slices, while a vessel crossing the slice moves and breaks the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Lung parenchyma is below this (air and lung); the body and lesions above it.
AIR_HU = -400.0
#: Blob tissue: solid and part-solid (ground-glass) density.
TISSUE_HU = -550.0
#: Structures thinner than this (vessels, fissures, the pleura) are opened away.
OPEN_MM = 4.0
#: Working pixel size: slices are reduced to about this before the search.
WORK_MM = 1.5
#: A blob's core must be at least this far (mm) from non-tissue.
CORE_MM = 2.0
#: Air regions smaller than this (mL, connected in 3-D) are not lung.
LUNG_MIN_ML = 150.0
#: Blob centres closer than this (mm) are one blob.
PEAK_MM = 10.0
#: Blobs on neighbouring slices join when their overlap is this share of the smaller one.
LINK_OVERLAP = 0.3


@dataclass(frozen=True)
class Blob:
    """One soft-tissue blob on one slice, in working pixels."""

    index: int
    box: tuple[int, int, int, int]
    """(row0, col0, row1, col1) inclusive, working pixels."""
    centroid: tuple[float, float]
    pixels: np.ndarray
    """Flat indices of its pixels on the working grid."""


def working_factor(columns: int, pixel_mm: float | None) -> int:
    """The whole-number reduction that brings the pixel size closest to :data:`WORK_MM` (at least 1)."""
    return max(1, int(round(WORK_MM / (pixel_mm or WORK_MM / 2))))


def reduce(hu: np.ndarray, factor: int) -> np.ndarray:
    """``hu`` averaged over ``factor`` x ``factor`` pixel blocks (float32)."""
    hu = np.asarray(hu, np.float32)
    if factor == 1:
        return hu
    rows, columns = (hu.shape[0] // factor) * factor, (hu.shape[1] // factor) * factor
    return hu[:rows, :columns].reshape(rows // factor, factor, columns // factor, factor).mean(axis=(1, 3))


def lung_mask(hu: np.ndarray) -> np.ndarray:
    """Air inside the body: air regions not connected to the image border, larger than a trachea."""
    air = (hu < AIR_HU).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(air, connectivity=4)
    keep = stats[:, cv2.CC_STAT_AREA] >= 0.002 * hu.size
    keep[np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))] = False
    keep[0] = False
    return keep[labels]


def lung_field(lung: np.ndarray) -> np.ndarray:
    """The convex hull of the lung on each side of the lungs' median column (bool, same shape)."""
    field = np.zeros(lung.shape, np.uint8)
    rows, columns = np.nonzero(lung)
    if len(columns) < 20:
        return field.astype(bool)
    middle = np.median(columns)
    for side in (columns < middle, columns >= middle):
        if side.sum() >= 20:
            points = np.stack([columns[side], rows[side]], axis=1).astype(np.int32)
            cv2.fillConvexPoly(field, cv2.convexHull(points), 1)
    return field.astype(bool)


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def lungs_3d(air: np.ndarray, voxel_ml: float) -> np.ndarray:
    """The air regions of a stack of per-slice masks ``[z, y, x]`` that are connected in 3-D into at least
    :data:`LUNG_MIN_ML` (the lungs and airways; bowel gas below the diaphragm is a separate, smaller region).

    Each slice's 4-connected regions are joined with the regions they overlap on the next slice (union-find).
    """
    parent: list[int] = []
    size: list[int] = []

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    labels = np.full(air.shape, -1, np.int32)
    for z, plane in enumerate(air):
        count, local = cv2.connectedComponents(plane.astype(np.uint8), connectivity=4)
        offset = len(parent)
        parent.extend(range(offset, offset + count - 1))
        size.extend(np.bincount(local.ravel(), minlength=count)[1:].tolist())
        labels[z] = np.where(local > 0, local - 1 + offset, -1)
        if z:
            both = (labels[z - 1] >= 0) & (labels[z] >= 0)
            pairs = np.unique(labels[z - 1][both].astype(np.int64) << 32 | labels[z][both].astype(np.int64))
            for pair in pairs.tolist():
                ra, rb = root(pair >> 32), root(pair & 0xFFFFFFFF)
                if ra != rb:
                    parent[rb] = ra
                    size[ra] += size[rb]
    if not parent:
        return np.zeros(air.shape, bool)
    roots = np.array([root(i) for i in range(len(parent))])
    volumes = np.array(size, np.float64)[roots] * voxel_ml
    keep = volumes >= min(LUNG_MIN_ML, float(volumes.max()))
    return np.where(labels >= 0, keep[np.maximum(labels, 0)], False)


def slice_blobs(hu: np.ndarray, lung: np.ndarray, pixel_mm: float, index: int) -> tuple[list[Blob], np.ndarray]:
    """The blobs of one reduced, smoothed HU slice whose lungs are ``lung``, and its lung field."""
    field = lung_field(lung)
    if not field.any():
        return [], field
    tissue = ((hu > TISSUE_HU) & field).astype(np.uint8)
    tissue = cv2.morphologyEx(tissue, cv2.MORPH_OPEN, _disk(max(1, round(OPEN_MM / 2 / pixel_mm))))
    if not tissue.any():
        return [], field
    distance = cv2.distanceTransform(tissue, cv2.DIST_L2, 5)
    core = max(1.0, CORE_MM / pixel_mm)
    peaks = (distance >= core) & (distance >= cv2.dilate(distance, _disk(max(2, round(PEAK_MM / pixel_mm)))) - 1e-3)
    count, markers = cv2.connectedComponents(peaks.astype(np.uint8), connectivity=8)
    if count <= 1:
        return [], field
    markers = markers.astype(np.int32)
    markers[tissue == 0] = count  # background marker
    relief = np.clip(255 - distance * (255.0 / max(1.0, float(distance.max()))), 0, 255).astype(np.uint8)
    cv2.watershed(cv2.cvtColor(relief, cv2.COLOR_GRAY2BGR), markers)
    blobs = []
    flat_markers = markers.ravel()
    order = np.argsort(flat_markers, kind="stable")
    bounds = np.searchsorted(flat_markers[order], np.arange(1, count + 1))
    for label in range(1, count):
        pixels = order[bounds[label - 1] : bounds[label]]
        pixels = pixels[tissue.ravel()[pixels] > 0]
        if len(pixels) < 3:
            continue
        rows, columns = np.unravel_index(pixels, hu.shape)
        box = (int(rows.min()), int(columns.min()), int(rows.max()), int(columns.max()))
        blobs.append(Blob(index, box, (float(rows.mean()), float(columns.mean())), pixels))
    return blobs, field


def link_blobs(blobs_by_slice: list[list[Blob]], gap: int = 1) -> list[list[Blob]]:
    """Chains of blobs, one per slice, joined where they overlap on neighbouring slices (up to ``gap`` apart).

    Each blob joins at most one blob of a later slice and one of an earlier one, best overlap first, so a lesion
    touching a vessel or the mediastinum stays its own chain instead of merging into a tree.
    """
    successor: dict[tuple[int, int], tuple[int, int]] = {}
    has_predecessor: set[tuple[int, int]] = set()
    for z, blobs in enumerate(blobs_by_slice):
        for step in range(1, gap + 1):
            if z + step >= len(blobs_by_slice):
                break
            pairs = [
                (_overlap(a, b), i, j)
                for i, a in enumerate(blobs)
                if (z, i) not in successor
                for j, b in enumerate(blobs_by_slice[z + step])
                if (z + step, j) not in has_predecessor
            ]
            for overlap, i, j in sorted(pairs, reverse=True):
                if overlap < LINK_OVERLAP:
                    break
                if (z, i) in successor or (z + step, j) in has_predecessor:
                    continue
                successor[(z, i)] = (z + step, j)
                has_predecessor.add((z + step, j))
    chains = []
    for z, blobs in enumerate(blobs_by_slice):
        for i in range(len(blobs)):
            if (z, i) in has_predecessor:
                continue
            chain, key = [], (z, i)
            while key is not None:
                chain.append(blobs_by_slice[key[0]][key[1]])
                key = successor.get(key)
            chains.append(chain)
    return chains


def _overlap(a: Blob, b: Blob) -> float:
    if a.box[0] > b.box[2] or b.box[0] > a.box[2] or a.box[1] > b.box[3] or b.box[1] > a.box[3]:
        return 0.0
    shared = len(np.intersect1d(a.pixels, b.pixels, assume_unique=True))
    return shared / min(len(a.pixels), len(b.pixels))


def smoothed(hu: np.ndarray) -> np.ndarray:
    """A reduced slice lightly smoothed against noise before thresholds."""
    return cv2.GaussianBlur(hu, (0, 0), 0.8)


def volume_blobs(slices: list[np.ndarray], pixel_mm: float, slice_mm: float) -> tuple[list[list[Blob]], np.ndarray]:
    """Blobs of every reduced HU slice of a series (in order) and the lung fields ``[z, y, x]``."""
    images = [smoothed(hu) for hu in slices]
    lungs = lungs_3d(np.stack([lung_mask(hu) for hu in images]), pixel_mm * pixel_mm * slice_mm / 1000.0)
    found = [slice_blobs(hu, lung, pixel_mm, z) for z, (hu, lung) in enumerate(zip(images, lungs))]
    return [blobs for blobs, _ in found], np.stack([field for _, field in found])
