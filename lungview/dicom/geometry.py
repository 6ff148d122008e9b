"""Group frames into series, split mixed stacks, sort them geometrically and report bad geometry.

Sorting follows 3D Slicer ``DICOMUtils.getSortedImageFiles``: ImagePositionPatient projected on the slice normal
``cross(row, column)`` of ImageOrientationPatient (DICOM PS3.3 C.7.6.2.1.1). File names, SliceLocation and
InstanceNumber alone are never trusted for the order.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from lungview.volume import Series, SkippedFile

if TYPE_CHECKING:  # headers.py uses slice_normal from here
    from lungview.dicom.headers import FrameHeader

#: Two positions closer than this (mm) along the normal are the same position.
SAME_POSITION_MM = 0.01
#: A step this many times the usual step means missing slices.
GAP_FACTOR = 1.5
#: Steps that differ from the usual step by more than this fraction make the spacing non-uniform.
UNIFORM_TOLERANCE = 0.1
#: Angles between the stacking direction and the slice normal above this (degrees) are a gantry tilt.
TILT_DEGREES = 0.5
#: How the gantry-tilt warning begins (the reformatting code refuses a tilted stack on it).
TILT_WARNING_PREFIX = "Gantry tilt"
_MAX_LISTED = 3


def build_series(frames: Iterable[FrameHeader]) -> tuple[list[Series], list[SkippedFile]]:
    """Turn frame headers into geometrically sorted series, one per stack, each with its warnings.

    A second file holding an image already seen (same SOP Instance UID and frame) is returned as skipped.
    """
    frames, duplicates = drop_duplicate_images(frames)
    by_series: dict[tuple[str, str], list[FrameHeader]] = defaultdict(list)
    for frame in frames:
        # Files without a SeriesInstanceUID cannot be matched with others: each stays on its own.
        key = frame.series_uid or f"no-uid:{frame.ref.path}"
        by_series[(frame.study_uid, key)].append(frame)
    ordered = []
    for members in by_series.values():
        first = members[0]
        order = (first.study_uid, first.series_number is None, first.series_number or 0, first.series_uid)
        stacks = split_stacks(members)
        for number, (stack, split_note) in enumerate(stacks, start=1):
            part = f" (part {number} of {len(stacks)})" if len(stacks) > 1 else ""
            one = _sorted_series(stack, part, [split_note] if split_note else [])
            ordered.append((order, number, dataclasses.replace(one, stack=number) if len(stacks) > 1 else one))
    ordered.sort(key=lambda item: item[:2])
    return [series for _, _, series in ordered], duplicates


def drop_duplicate_images(frames: Iterable[FrameHeader]) -> tuple[list[FrameHeader], list[SkippedFile]]:
    """Keep the first file of each image (SOP Instance UID); later copies of it are skipped with a reason."""
    first_path: dict[str, str] = {}
    kept, duplicates = [], []
    for frame in frames:
        uid = frame.ref.sop_instance_uid
        seen = first_path.setdefault(uid, frame.ref.path) if uid else frame.ref.path
        if seen == frame.ref.path:
            kept.append(frame)
        elif frame.ref.frame in (None, 0):
            reason = f"the same image (SOP Instance UID) as {seen}: a duplicate copy"
            duplicates.append(SkippedFile(frame.ref.path, reason))
    return kept, duplicates


def split_stacks(frames: list[FrameHeader]) -> list[tuple[list[FrameHeader], str | None]]:
    """Split one series into stacks of a single orientation, image size and (when needed) acquisition.

    Returns the stacks, each with a warning explaining the split, or None when the series is one stack.
    """
    groups: dict[tuple, list[FrameHeader]] = defaultdict(list)
    for frame in frames:
        groups[(_rounded(frame.orientation), frame.rows, frame.columns)].append(frame)
    stacks = [stack for group in groups.values() for stack in _split_acquisitions(group)]
    if len(stacks) == 1:
        return [(stacks[0], None)]
    mixed = []
    if len({key[0] for key in groups}) > 1:
        mixed.append("orientations")
    if len({key[1:] for key in groups}) > 1:
        sizes = sorted({f"{rows}×{columns}" for _, rows, columns in groups})
        mixed.append(f"image sizes ({', '.join(sizes)})")
    if len(stacks) > len(groups):
        mixed.append("acquisitions at the same positions")
    note = f"This series mixes {' and '.join(mixed)}; it is shown as {len(stacks)} separate stacks."
    return [(stack, note) for stack in stacks]


def _split_acquisitions(frames: list[FrameHeader]) -> list[list[FrameHeader]]:
    """Split by AcquisitionNumber only when acquisitions repeat positions and each alone does not."""
    by_acquisition: dict[str, list[FrameHeader]] = defaultdict(list)
    for frame in frames:
        by_acquisition[frame.acquisition].append(frame)
    if len(by_acquisition) < 2 or not _has_repeated_position(frames):
        return [frames]
    if any(_has_repeated_position(group) for group in by_acquisition.values()):
        return [frames]
    return [by_acquisition[key] for key in sorted(by_acquisition, key=_natural_key)]


def _has_repeated_position(frames: list[FrameHeader]) -> bool:
    positions = [_rounded(frame.position, 2) for frame in frames if frame.position is not None]
    return len(positions) != len(set(positions))


def slice_normal(orientation: tuple[float, ...] | None) -> np.ndarray:
    """Unit normal ``cross(row, column)`` of ImageOrientationPatient; the patient axis z when unknown."""
    if orientation is None:
        return np.array([0.0, 0.0, 1.0])
    normal = np.cross(np.asarray(orientation[:3]), np.asarray(orientation[3:]))
    length = float(np.linalg.norm(normal))
    return normal / length if length > 1e-6 else np.array([0.0, 0.0, 1.0])


def _sorted_series(frames: list[FrameHeader], part: str, warnings: list[str]) -> Series:
    """Sort one stack along its normal, measure its spacing and collect its warnings."""
    first = frames[0]
    normal = slice_normal(first.orientation)
    positioned = all(frame.position is not None for frame in frames)
    if positioned:
        z_of = {id(frame): float(np.dot(frame.position, normal)) for frame in frames}
        ordered = sorted(frames, key=lambda f: (z_of[id(f)], _tie_break(f)))
        z_values = [z_of[id(frame)] for frame in ordered]
    else:
        ordered = sorted(frames, key=_tie_break)
        z_values = [float(index) for index in range(len(ordered))]
        if len(frames) > 1 and first.ref.frame is None:
            warnings.append("Some slices have no position in the patient: they are ordered by instance number.")
    if first.orientation is None and positioned and len(frames) > 1:
        warnings.append("The slices have no orientation: they are ordered along the patient's head-foot axis.")
    step = None
    if positioned and len(frames) > 1:
        step = _median_step(z_values)
        warnings.extend(spacing_warnings(z_values))
        warnings.extend(_tilt_warnings(ordered, normal))
    if "LOCALIZER" in first.image_type:
        warnings.append("This is a localizer (scout) image, not a cross-sectional stack.")
    slices = tuple(dataclasses.replace(frame.ref, z=z, position=frame.position) for frame, z in zip(ordered, z_values))
    description = (first.description or first.modality) + part
    return Series(
        series_uid=first.series_uid,
        study_uid=first.study_uid,
        modality=first.modality,
        description=description,
        rows=first.rows,
        columns=first.columns,
        spacing=_spacing(first, step),
        orientation=first.orientation,
        slices=slices,
        has_hu=all(frame.has_hu for frame in frames),
        warnings=tuple(warnings),
        patient=first.patient,
        stored_window=first.stored_window,
        image_type=first.image_type,
    )


def spacing_warnings(z_values: list[float]) -> list[str]:
    """Plain sentences about repeated positions, gaps and uneven spacing of sorted positions ``z_values``."""
    steps = np.diff(np.asarray(z_values))
    warnings = []
    repeated = [i for i, step in enumerate(steps) if step < SAME_POSITION_MM]
    if repeated:
        where = ", ".join(f"{z_values[i]:.1f}" for i in repeated[:_MAX_LISTED])
        warnings.append(
            f"{len(repeated)} slice(s) repeat the position of another slice (z = {where} mm): "
            "the series may hold two acquisitions or duplicate files."
        )
    usual = _median_step(z_values)
    if usual is None:
        return warnings
    gaps = [i for i, step in enumerate(steps) if step > GAP_FACTOR * usual]
    for i in gaps[:_MAX_LISTED]:
        warnings.append(
            f"Gap of {steps[i]:.1f} mm between z = {z_values[i]:.1f} and {z_values[i + 1]:.1f} mm "
            f"(usual spacing {usual:.2f} mm): slices are missing."
        )
    if len(gaps) > _MAX_LISTED:
        warnings.append(f"{len(gaps) - _MAX_LISTED} more gap(s) in the stack.")
    uneven = [
        step
        for i, step in enumerate(steps)
        if step >= SAME_POSITION_MM and i not in gaps and abs(step - usual) > UNIFORM_TOLERANCE * usual
    ]
    if uneven:
        low, high = min(min(uneven), usual), max(max(uneven), usual)
        warnings.append(
            f"Slice spacing is not uniform (steps from {low:.2f} to {high:.2f} mm): "
            "distances along the stack are approximate."
        )
    return warnings


def _tilt_warnings(ordered: list[FrameHeader], normal: np.ndarray) -> list[str]:
    """A warning when the stack runs obliquely to its slices (gantry tilt), from geometry or the tilt tag."""
    direction = np.asarray(ordered[-1].position) - np.asarray(ordered[0].position)
    length = float(np.linalg.norm(direction))
    angle = 0.0
    if length > SAME_POSITION_MM:
        angle = math.degrees(math.acos(min(1.0, abs(float(np.dot(direction, normal))) / length)))
    angle = max(angle, abs(ordered[0].gantry_tilt))
    if angle <= TILT_DEGREES:
        return []
    return [f"{TILT_WARNING_PREFIX} of {angle:.1f}°: the slices are sheared, so distances and 3-D views are not exact."]


def _median_step(z_values: list[float]) -> float | None:
    steps = np.diff(np.asarray(z_values))
    steps = steps[steps >= SAME_POSITION_MM]
    return float(np.median(steps)) if steps.size else None


def _spacing(first: FrameHeader, step: float | None) -> tuple[float, float, float] | None:
    """(z, y, x) in mm: the median step (else the slice thickness) and the pixel spacing; None if unknown."""
    z = step if step is not None else first.ref.slice_thickness
    if z is None or first.ref.pixel_spacing is None:
        return None
    row_spacing, column_spacing = first.ref.pixel_spacing
    return (float(z), float(row_spacing), float(column_spacing))


def _tie_break(frame: FrameHeader) -> tuple:
    """Order of frames at one position: instance number, then frame index (never the file name first)."""
    instance = frame.ref.instance_number
    return (instance is None, instance or 0, frame.ref.frame or 0, frame.ref.path)


def _rounded(values: tuple[float, ...] | None, digits: int = 3) -> tuple[float, ...] | None:
    return None if values is None else tuple(round(v, digits) + 0.0 for v in values)


def _natural_key(text: str) -> tuple:
    return (0, int(text)) if text.isdigit() else (1, text)


def pixel_to_patient(series: Series, index: int, row: float, column: float) -> tuple[float, float, float] | None:
    """Patient coordinates (mm, DICOM LPS) of pixel (``row``, ``column``) of slice ``index`` (PS3.3 C.7.6.2.1.1), or
    None where the slice has no position, orientation or pixel spacing."""
    ref = series.slices[index]
    if ref.position is None or series.orientation is None or ref.pixel_spacing is None:
        return None
    row_direction, column_direction = np.asarray(series.orientation[:3]), np.asarray(series.orientation[3:6])
    row_mm, column_mm = ref.pixel_spacing
    point = np.asarray(ref.position) + column * column_mm * row_direction + row * row_mm * column_direction
    return tuple(round(float(v), 2) for v in point)
