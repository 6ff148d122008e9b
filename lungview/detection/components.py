"""Lesion candidates from a series' tumour probability map: 3-D connected components, scored and measured.

The map is on the network grid (one ``size`` x ``size`` plane per analysed slice). A candidate is a 3-D connected
region (scipy.ndimage.label, face connectivity) of pixels at or above the pixel threshold that touches the lung
(:mod:`lungview.detection.lung_field`): a mass against the mediastinum, hilum, pleura or diaphragm borders the
lung; the stomach, the bowel and the heart do not. Its score is an absolute probability: the logistic calibration
of the card applied to the logit of the region's highest pixel probability. Each candidate carries its mask on
every slice it spans (on the slice grid), a box, a centre, its side and zone from the patient coordinates, and its
measurements (:mod:`lungview.detection.measurements`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from lungview.detection.lesions import Lesion, LesionSlice
from lungview.detection.lung_field import lung_field
from lungview.detection.measurements import measure
from lungview.dicom.geometry import pixel_to_patient
from lungview.models.lesion_input import map_to_slice
from lungview.volume import Series

#: Network pixels a region is grown by when asking whether it touches the lung.
LUNG_CONTACT_PX = 2
#: Regions smaller than this many network pixels are noise.
MIN_PIXELS = 4
ZONES = ("upper", "middle", "lower")
#: A plane counts towards the lung's cranio-caudal extent when its lung area is at least this share of the
#: largest plane's: the trachea and larynx above the apices (about 1 % of it) do not.
LUNG_PLANE_SHARE = 0.03


@dataclass(frozen=True)
class Calibration:
    """``P = sigmoid(slope * logit(p_max) + intercept)`` for a region whose highest pixel probability is p_max."""

    slope: float = 1.0
    intercept: float = 0.0
    pixel_threshold: float = 0.5

    def __call__(self, p_max: np.ndarray | float) -> np.ndarray | float:
        p = np.clip(np.asarray(p_max, np.float64), 1e-6, 1 - 1e-6)
        return 1.0 / (1.0 + np.exp(-(self.slope * np.log(p / (1 - p)) + self.intercept)))

    @property
    def floor(self) -> float:
        """The lowest score a candidate can have (its highest pixel is at least the pixel threshold)."""
        return float(self(self.pixel_threshold))


def candidate_regions(
    probabilities: np.ndarray, lung: np.ndarray, pixel_threshold: float
) -> tuple[np.ndarray, list[int]]:
    """Labels of the connected regions at or above ``pixel_threshold`` and the labels that touch ``lung``."""
    labels, count = ndimage.label(probabilities >= pixel_threshold)
    if count == 0:
        return labels, []
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    reach = np.ones((1, 2 * LUNG_CONTACT_PX + 1, 2 * LUNG_CONTACT_PX + 1), bool)
    near_lung = ndimage.binary_dilation(lung, structure=reach)
    touching = set(np.unique(labels[near_lung & (labels > 0)]).tolist())
    return labels, [label for label in range(1, count + 1) if sizes[label] >= MIN_PIXELS and label in touching]


def network_lung(resized_hu: np.ndarray, series: Series, scale: float) -> np.ndarray:
    """The lung field on the network grid (``scale``: network pixels per slice pixel)."""
    slice_mm, row_mm, column_mm = series.spacing or (2.5, 0.7, 0.7)
    return lung_field(resized_hu, slice_mm * row_mm * column_mm / scale**2 / 1000.0)


def lung_end_planes(lung: np.ndarray) -> tuple[int, ...]:
    """The first and last planes whose lung area is at least :data:`LUNG_PLANE_SHARE` of the largest plane's (the
    airway above the apices is not lung extent); empty without lung."""
    areas = lung.sum(axis=(1, 2))
    if not areas.any():
        return ()
    planes = np.flatnonzero(areas >= LUNG_PLANE_SHARE * areas.max())
    return int(planes[0]), int(planes[-1])


def lesion_zone(
    series: Series, end_indices: Sequence[int], xyz: tuple[float, float, float] | None, row: float, col: float
) -> str | None:
    """The zone of a lesion centred at ``xyz`` (pixel ``row``, ``col``), against the lung's end slices measured at
    the same pixel (so a gantry tilt does not shift it); None where the geometry is unknown."""
    ends = [pixel_to_patient(series, index, row, col) for index in end_indices]
    if xyz is None or not ends or any(end is None for end in ends):
        return None
    z_values = [end[2] for end in ends]
    return zone(xyz[2], max(z_values), min(z_values))


def zone(z_mm: float, lung_top_mm: float, lung_bottom_mm: float) -> str:
    """Upper, middle or lower third of the lung's cranio-caudal extent (patient z, mm; head is +z in LPS)."""
    extent = lung_top_mm - lung_bottom_mm
    if extent <= 0:
        return "middle"
    third = int(np.clip((lung_top_mm - z_mm) / extent * 3, 0, 2))
    return ZONES[third]


def side(series: Series, index: int, centre_col: float, body_col: float, row: float) -> str | None:
    """The patient's side of a point: left where its x (LPS) exceeds the body centre's on the same row."""
    point = pixel_to_patient(series, index, row, centre_col)
    middle = pixel_to_patient(series, index, row, body_col)
    if point is None or middle is None:
        return None
    return "left" if point[0] > middle[0] else "right"


def body_centre_column(image: np.ndarray) -> float:
    """The column of the centre of the body (HU > -500) on a slice."""
    columns = np.nonzero((image > -500).any(axis=0))[0]
    return float(columns.mean()) if columns.size else image.shape[1] / 2


def lesions_from_map(
    probabilities: np.ndarray,
    lung: np.ndarray,
    indices: Sequence[int],
    images: dict[int, np.ndarray],
    series: Series,
    calibration: Calibration,
) -> tuple[Lesion, ...]:
    """Ranked candidates of a series.

    ``probabilities`` and ``lung`` (:func:`network_lung`) are ``[n, size, size]`` for the series
    slices ``indices`` (geometric order); ``images`` holds their HU on the slice grid.
    """
    size = probabilities.shape[-1]
    rows, columns = series.rows, series.columns
    labels, kept = candidate_regions(probabilities, lung, calibration.pixel_threshold)
    lung_end_indices = [indices[plane] for plane in lung_end_planes(lung)]
    found = []
    objects = ndimage.find_objects(labels)
    for label in kept:
        box = objects[label - 1]
        region = labels[box] == label
        planes = range(box[0].start, box[0].stop)
        slices, masks, hu_planes = [], [], []
        for plane, region_plane in zip(planes, region):
            full = np.zeros((size, size), np.float32)
            full[box[1], box[2]] = region_plane
            mask = map_to_slice(full, rows, columns) >= 0.5
            if not mask.any():
                continue
            index = indices[plane]
            r, c = np.nonzero(mask)
            slice_box = (int(r.min()), int(c.min()), int(r.max()), int(c.max()))
            ref = series.slices[index]
            slices.append(
                LesionSlice(index, ref.instance_number, ref.sop_instance_uid, slice_box,
                            mask[slice_box[0] : slice_box[2] + 1, slice_box[1] : slice_box[3] + 1])
            )
            masks.append(mask)
            hu_planes.append(images[index])
        if not slices:
            continue
        p_max = float(probabilities[box][region].max())
        areas = np.array([m.sum() for m in masks], np.float64)
        centre_at = int(np.argmin(np.abs(np.arange(len(areas)) - (areas * np.arange(len(areas))).sum() / areas.sum())))
        centre_index = slices[centre_at].index
        r, c = np.nonzero(masks[centre_at])
        centre_row, centre_col = float(r.mean()), float(c.mean())
        xyz = pixel_to_patient(series, centre_index, centre_row, centre_col)
        size_of = measure(masks, hu_planes, series.spacing)
        found.append(
            Lesion(
                rank=0,
                score=float(calibration(p_max)),
                centre_index=centre_index,
                centre_row=round(centre_row, 1),
                centre_col=round(centre_col, 1),
                centre_xyz_mm=xyz,
                slices=tuple(slices),
                long_axis_mm=size_of.long_axis_mm,
                short_axis_mm=size_of.short_axis_mm,
                volume_ml=size_of.volume_ml,
                mean_hu=size_of.mean_hu,
                attenuation=size_of.attenuation,
                side=side(series, centre_index, centre_col, body_centre_column(images[centre_index]), centre_row),
                zone=lesion_zone(series, lung_end_indices, xyz, centre_row, centre_col),
            )
        )
    found.sort(key=lambda lesion: -lesion.score)
    return tuple(replace(lesion, rank=rank) for rank, lesion in enumerate(found, start=1))


def slice_scores(
    candidates: Sequence[Lesion], probabilities: np.ndarray, lung: np.ndarray, indices: Sequence[int],
    count: int, calibration: Calibration,
) -> tuple[float | None, ...]:
    """Per series slice: the best candidate spanning it; else the calibrated highest in-lung pixel probability,
    kept below every candidate's score (so a slice is flagged only where a finding spans it); None where the slice
    was not analysed."""
    scores: list[float | None] = [None] * count
    ceiling = np.nextafter(calibration.floor, 0.0)
    for plane, index in enumerate(indices):
        in_lung = probabilities[plane][lung[plane]]
        best = float(in_lung.max()) if in_lung.size else 0.0
        scores[index] = float(min(calibration(best), ceiling))
    for lesion in reversed(candidates):  # best last, so it wins
        for index in lesion.indices:
            scores[index] = lesion.score if scores[index] is None else max(scores[index], lesion.score)
    return tuple(scores)
