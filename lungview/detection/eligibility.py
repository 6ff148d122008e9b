"""Whether the lesion model can read a CT series at all, and if not, why: one rule for the viewer, the commands
and triage, so that "nothing found" and "could not look" never read the same. No torch, no Qt.

The header rules need only the scanned :class:`~lungview.volume.Series`; "no lung found" needs decoded HU slices.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from lungview.volume import Series

#: Fewer slices than this are not a chest CT volume the lesion finder can use.
MIN_SLICES = 10
#: Slices further apart than this (mm) are too thick to read: a 10 mm nodule would lie on one slice or none.
MAX_SLICE_MM = 10.0
#: Tolerance on :data:`MAX_SLICE_MM`: spacings are measured from positions rounded in the headers.
_SLICE_MM_TOLERANCE = 0.25
#: The slice normal must lie within this angle (degrees) of the patient's head-foot axis (a gantry tilt is axial).
MAX_AXIAL_TILT_DEG = 35.0
#: HU below which a pixel is air or aerated lung.
AIR_HU = -400.0
#: A region of air whose median HU is below this is gas (outside air, trachea, bowel gas), not lung tissue: aerated
#: lung is a mixture of air and tissue, -820 to -900 HU; outside air is -1000 HU, a table's foam pad about -965 HU.
GAS_MEDIAN_HU = -950.0
#: Pixels below this are padding outside the scanner's field of view, never part of the patient.
PADDING_HU = -1150.0
#: A slice shows lung when its lung-like regions cover at least this area (mm²).
LUNG_AREA_MM2 = 3000.0
#: Regions smaller than this (mm²) are noise or small gas pockets and are not counted.
MIN_REGION_MM2 = 100.0
#: At most this many slices, evenly spread, are examined for lung (the rest add nothing but time).
SAMPLED_SLICES = 48
#: A series shows lung when at least this fraction of its examined slices do (and at least :data:`MIN_LUNG_SLICES`).
LUNG_SLICE_FRACTION = 0.05
MIN_LUNG_SLICES = 2

NO_LUNG = "no lung found"


def not_evaluable_reason(
    series: Series, images: Mapping[int, np.ndarray] | None = None, min_slices: int = MIN_SLICES
) -> str | None:
    """Why the lesion model cannot read ``series`` (a plain sentence), or None when it can.

    Parameters
    ----------
    series
        The scanned series (headers only).
    images
        Decoded HU slices (slice index -> 2-D array); when given, a series in which no slice shows lung is not
        evaluable. Without them only the header rules apply.
    min_slices
        The fewest slices a readable series has.
    """
    reason = header_reason(series, min_slices)
    if reason is None and images:
        reason = lung_reason(series, images)
    return reason


def not_evaluable_sentence(reason: str) -> str:
    """What the viewer says about a series the model cannot read: never to be mistaken for "nothing found"."""
    return f"The AI cannot read this series: {reason}. Nothing was looked for; this is not a negative result."


def header_reason(series: Series, min_slices: int = MIN_SLICES) -> str | None:
    """Why ``series`` cannot be read, from its headers alone: not CT in HU, a localizer, not axial, too few slices,
    slices too thick; None when the headers allow it."""
    modality = (series.modality or "").upper()
    if modality != "CT":
        return f"not CT ({series.modality or 'no modality'})"
    if not series.has_hu:
        return "not CT in Hounsfield units (the pixel values have no CT rescale)"
    if "LOCALIZER" in {value.upper() for value in series.image_type}:
        return "a localizer (scout image), not a cross-sectional stack"
    orientation = orientation_name(series.orientation)
    if orientation != "axial":
        return f"not axial: the slices are {orientation or 'of unknown orientation'}"
    if len(series) < min_slices:
        return f"too few slices ({len(series)}, fewer than {min_slices})"
    step = slice_step_mm(series)
    if step is not None and step > MAX_SLICE_MM + _SLICE_MM_TOLERANCE:
        return f"slices too thick ({step:.1f} mm apart, more than {MAX_SLICE_MM:g} mm)"
    return None


def orientation_name(orientation: tuple[float, ...] | None) -> str | None:
    """``"axial"``, ``"coronal"``, ``"sagittal"`` or ``"oblique"`` from ImageOrientationPatient; None if unknown.

    The slice normal is the cross product of the row and column direction cosines (DICOM PS3.3 C.7.6.2.1.1); a
    slice is axial when its normal lies within :data:`MAX_AXIAL_TILT_DEG` of the patient's z axis.
    """
    if orientation is None or len(orientation) != 6:
        return None
    normal = np.cross(np.asarray(orientation[:3], float), np.asarray(orientation[3:], float))
    length = float(np.linalg.norm(normal))
    if not np.isfinite(length) or length < 1e-6:
        return None
    x, y, z = np.abs(normal / length)
    if z >= np.cos(np.radians(MAX_AXIAL_TILT_DEG)):
        return "axial"
    if y >= np.cos(np.radians(MAX_AXIAL_TILT_DEG)):
        return "coronal"
    if x >= np.cos(np.radians(MAX_AXIAL_TILT_DEG)):
        return "sagittal"
    return "oblique"


def slice_step_mm(series: Series) -> float | None:
    """The distance between neighbouring slices (mm), or the slice thickness where no spacing is known."""
    if series.spacing is not None and series.spacing[0] and series.spacing[0] > 0:
        return float(series.spacing[0])
    thickness = series.slices[0].slice_thickness if series.slices else None
    return float(thickness) if thickness else None


def lung_reason(series: Series, images: Mapping[int, np.ndarray]) -> str | None:
    """:data:`NO_LUNG` when too few of the decoded slices ``images`` show lung, else None."""
    indices = sorted(images)
    if not indices:
        return None
    if len(indices) > SAMPLED_SLICES:
        picks = np.linspace(0, len(indices) - 1, SAMPLED_SLICES).round().astype(int)
        indices = [indices[i] for i in sorted(set(picks.tolist()))]
    pixel_mm2 = _pixel_area_mm2(series, indices[0])
    with_lung = sum(lung_area_mm2(images[index], pixel_mm2) >= LUNG_AREA_MM2 for index in indices)
    needed = max(MIN_LUNG_SLICES, int(np.ceil(LUNG_SLICE_FRACTION * len(indices))))
    needed = min(needed, len(indices))
    return None if with_lung >= needed else NO_LUNG


def lung_area_mm2(hu: np.ndarray, pixel_mm2: float = 0.5) -> float:
    """The area (mm²) of lung-like regions on one HU slice: connected regions of air-tissue mixture.

    A region of pixels between :data:`PADDING_HU` and :data:`AIR_HU` counts when it is at least
    :data:`MIN_REGION_MM2` large and its median HU is above :data:`GAS_MEDIAN_HU` (pure gas: outside air, the
    trachea, bowel gas). Regions touching the image edge count like the others, so lungs cut by the field of view
    are still found. The slice is examined at half resolution.
    """
    import cv2  # not scipy: the viewer's AI path runs without it

    image = np.asarray(hu, np.float32)
    step = 2 if min(image.shape) >= 128 else 1
    image = image[::step, ::step]
    area = pixel_mm2 * step * step
    mask = ((image < AIR_HU) & (image > PADDING_HU)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    lung = 0.0
    for label in range(1, count):  # 0 is the background
        left, top, width, height, size = stats[label]
        if size * area < MIN_REGION_MM2:
            continue
        box = (slice(top, top + height), slice(left, left + width))
        if np.median(image[box][labels[box] == label]) > GAS_MEDIAN_HU:
            lung += size * area
    return float(lung)


def _pixel_area_mm2(series: Series, index: int) -> float:
    spacing = series.slices[index].pixel_spacing if series.slices else None
    if spacing and spacing[0] > 0 and spacing[1] > 0:
        return float(spacing[0] * spacing[1])
    return 0.5  # about 0.7 mm pixels: a typical chest CT field of view
