"""Training samples for the lesion network: every real slice of each annotated patient, plus synthetic lesions.

A sample is one slice's 2.5-D network input and its target: the fraction of each stride-4 cell the tumour mask
covers. Real samples keep their slice index (for evaluation); synthetic ones record the patient whose tumour was
pasted (``donor``), so a leave-one-patient-out fold can leave out every sample that carries the held-out
patient's voxels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lungview.detection.lung_field import lung_field
from lungview.models.lesion_input import INPUT_SIZE, NEIGHBOUR_MM, mask_to_network, network_inputs, resize_hu
from lungview.training.lesion_masks import AnnotatedSeries
from lungview.training.synthetic_lesions import (
    KINDS,
    PLACEMENTS,
    paste,
    placement_centre,
    real_tumour,
    simulated_nodule,
)

#: Target cells per input side (the decoder's stride 4).
TARGET_STRIDE = 4
#: Lung mask work grid: every 4th pixel.
LUNG_STEP = 4
#: Synthetic slices kept per pasted lesion.
SLICES_PER_LESION = 6


@dataclass
class Samples:
    """Network inputs ``[n, 3, size, size]`` (float16), targets ``[n, size/4, size/4]`` (float16) and, per sample,
    its patient, slice index (-1 for synthetic), donor patient ('' for simulated or real) and kind."""

    inputs: np.ndarray
    targets: np.ndarray
    patient: np.ndarray
    slice_index: np.ndarray
    donor: np.ndarray
    kind: np.ndarray

    @staticmethod
    def join(parts: list[Samples]) -> Samples:
        return Samples(*(np.concatenate([getattr(p, name) for p in parts]) for name in Samples.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.patient)


def slice_targets(mask: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """Per slice of a mask volume, the covered fraction of each stride-4 cell (``[n, size/4, size/4]``)."""
    return np.stack([mask_to_network(plane, size // TARGET_STRIDE) for plane in mask]).astype(np.float16)


def positions(series: AnnotatedSeries) -> np.ndarray:
    return np.array([ref.z for ref in series.series.slices], np.float64)


def real_samples(series: AnnotatedSeries, size: int = INPUT_SIZE) -> Samples:
    """Every slice of a patient as a sample."""
    resized = np.stack([resize_hu(plane, size) for plane in series.hu])
    count = len(resized)
    return Samples(
        network_inputs(resized, positions(series)).astype(np.float16),
        slice_targets(series.mask, size),
        np.full(count, series.name),
        np.arange(count),
        np.full(count, ""),
        np.full(count, "real"),
    )


def synthetic_samples(
    series: AnnotatedSeries,
    donors: list[AnnotatedSeries],
    rng: np.random.Generator,
    simulated: int,
    pasted: int,
    size: int = INPUT_SIZE,
) -> Samples:
    """``simulated`` simulated nodules and ``pasted`` real tumours of ``donors`` in the tumour-free lung of
    ``series``, each as up to :data:`SLICES_PER_LESION` slice samples."""
    spacing = (series.slice_mm, *series.pixel_mm)
    small = series.hu[:, ::LUNG_STEP, ::LUNG_STEP]
    voxel_ml = spacing[0] * spacing[1] * spacing[2] * LUNG_STEP**2 / 1000
    lung = lung_field(small, voxel_ml)
    avoid = ndimage.binary_dilation(series.mask[:, ::LUNG_STEP, ::LUNG_STEP], iterations=3)
    margin = int(np.ceil(NEIGHBOUR_MM / spacing[0])) + 1
    parts = []
    plans = [None] * simulated + [donors[i % len(donors)] for i in range(pasted)] if donors else [None] * simulated
    for donor in plans:
        if donor is None:
            kind = str(rng.choice(KINDS))
            lesion = simulated_nodule(rng, spacing, kind)
        else:
            kind = "real-tumour"
            lesion = real_tumour(donor.hu, donor.mask, (donor.slice_mm, *donor.pixel_mm), spacing)
            if lesion is None:
                continue
        radius_mm = np.array(lesion.hu.shape) * np.array(spacing) / 2
        radius_small = radius_mm / np.array([spacing[0], spacing[1] * LUNG_STEP, spacing[2] * LUNG_STEP])
        centre = placement_centre(rng, lung, avoid, radius_small / 1.7, str(rng.choice(PLACEMENTS)))
        if centre is None:
            continue
        full_centre = (centre[0], centre[1] * LUNG_STEP, centre[2] * LUNG_STEP)
        half = lesion.hu.shape[0] // 2 + margin
        low, high = max(0, full_centre[0] - half), min(len(series.hu), full_centre[0] + half + 1)
        hu = series.hu[low:high].copy()
        label = series.mask[low:high].copy()
        paste(hu, label, lesion, (full_centre[0] - low, *full_centre[1:]), raise_only=donor is None)
        lesion_slices = np.flatnonzero(label.any(axis=(1, 2)) & ~series.mask[low:high].any(axis=(1, 2)))
        if len(lesion_slices) == 0:
            continue
        chosen = np.sort(rng.choice(lesion_slices, min(SLICES_PER_LESION, len(lesion_slices)), replace=False))
        resized = np.stack([resize_hu(plane, size) for plane in hu])
        inputs = network_inputs(resized, positions(series)[low:high])[chosen]
        parts.append(
            Samples(
                inputs.astype(np.float16),
                slice_targets(label[chosen], size),
                np.full(len(chosen), series.name),
                np.full(len(chosen), -1),
                np.full(len(chosen), donor.name if donor is not None else ""),
                np.full(len(chosen), kind),
            )
        )
    return Samples.join(parts) if parts else None
