"""Read the regions of a DICOM Structured Report onto a series: SCOORD and SCOORD3D shapes as filled masks. No Qt.

A TID 1500 measurement report (or any SR) may outline its findings: a SCOORD (image coordinates, PS3.3 C.18.6)
on the image its IMAGE child names, or a SCOORD3D (patient coordinates, C.18.9) in a frame of reference. Closed
POLYGON / POLYLINE shapes, CIRCLEs and ELLIPSEs are filled; points and open lines are left out with a note. One
region per measurement group, named by its tracking identifier; shapes outside a group are regions of their own.
An SR that only refers to a segmentation (as LungView's own does) has no regions: its SEG is drawn instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from lungview.annotations.geometry import SeriesGeometry
from lungview.annotations.regions import AnnotationError, AnnotationOverlay, Region, SliceMask
from lungview.annotations.rtstruct import polygon_mask
from lungview.volume import AnnotationObject, Series

MEASUREMENT_GROUP = "125007"
TRACKING_IDENTIFIER = "112039"
_FILLED = {"POLYGON", "POLYLINE", "CIRCLE", "ELLIPSE"}
_CIRCLE_POINTS = 48


def _code(item: Dataset, keyword: str = "ConceptNameCodeSequence") -> str:
    sequence = item.get(keyword) or ()
    return str(sequence[0].get("CodeValue", "")) if sequence else ""


def shape_items(content: Dataset, group: str = "") -> Iterator[tuple[str, Dataset]]:
    """(group name, SCOORD or SCOORD3D item) for every shape under ``content``, depth first."""
    for item in content.get("ContentSequence") or ():
        kind = str(item.get("ValueType", ""))
        name = group
        if kind == "CONTAINER" and _code(item) == MEASUREMENT_GROUP:
            name = next(
                (str(child.get("TextValue", "")) for child in item.get("ContentSequence") or ()
                 if _code(child) == TRACKING_IDENTIFIER and child.get("TextValue")),
                "Measurement group",
            )
        if kind in ("SCOORD", "SCOORD3D"):
            yield name, item
        yield from shape_items(item, name)


def _outline_points(graphic_type: str, points: np.ndarray) -> np.ndarray | None:
    """The closed outline of a 2-D (or in-plane 3-D) shape as points; None for a shape with no inside."""
    if graphic_type in ("POLYGON", "POLYLINE"):
        if len(points) < 3 or (graphic_type == "POLYLINE" and not np.allclose(points[0], points[-1])):
            return None
        return points
    if graphic_type == "CIRCLE" and len(points) == 2:
        centre, edge = points
        radius = edge - centre
        normal_like = np.zeros_like(radius)
        normal_like[:2] = (-radius[1], radius[0])  # in-plane for image coordinates
        angles = np.linspace(0, 2 * math.pi, _CIRCLE_POINTS, endpoint=False)
        return np.asarray([centre + math.cos(a) * radius + math.sin(a) * normal_like for a in angles])
    if graphic_type == "ELLIPSE" and len(points) == 4:
        centre = (points[0] + points[1]) / 2
        major, minor = (points[1] - points[0]) / 2, (points[3] - points[2]) / 2
        angles = np.linspace(0, 2 * math.pi, _CIRCLE_POINTS, endpoint=False)
        return np.asarray([centre + math.cos(a) * major + math.sin(a) * minor for a in angles])
    return None


def _image_uid(item: Dataset) -> str:
    for child in item.get("ContentSequence") or ():
        if str(child.get("ValueType", "")) == "IMAGE":
            references = child.get("ReferencedSOPSequence") or ()
            if references:
                return str(references[0].get("ReferencedSOPInstanceUID", ""))
    return ""


def _place(item: Dataset, geometry: SeriesGeometry, frame_of_reference: str) -> tuple[int, np.ndarray] | str:
    """(slice index, polygon in pixel indices) of one shape, or why it is left out."""
    graphic_type = str(item.get("GraphicType", ""))
    data = np.asarray(item.get("GraphicData") or (), float)
    if graphic_type not in _FILLED:
        return f"a {graphic_type or 'shapeless'} mark has no inside"
    if str(item.ValueType) == "SCOORD":
        index = geometry.index_of_uid.get(_image_uid(item))
        if index is None:
            return "it names no image of this series"
        outline = _outline_points(graphic_type, data.reshape(-1, 2))
        if outline is None:
            return "an open line has no inside"
        return index, outline[:, ::-1] - 0.5  # (column, row) from the pixel's corner -> (row, col) pixel indices
    if frame_of_reference and str(item.get("ReferencedFrameOfReferenceUID", "")) != frame_of_reference:
        return "it is in another frame of reference than the images"
    points = data.reshape(-1, 3)
    outline = _outline_points(graphic_type, points)
    if outline is None:
        return "an open line has no inside"
    index = geometry.slice_at(outline.mean(axis=0))
    if index is None:
        return "it lies on no image of this series"
    return index, geometry.to_pixels(index, outline)


def read_sr(source: AnnotationObject, series: Series, frame_of_reference: str = "") -> AnnotationOverlay:
    """The regions of the SR ``source`` on ``series``; ``frame_of_reference`` is the images' (checked for SCOORD3D).

    Raises
    ------
    AnnotationError
        When it cannot be read or none of its shapes can be placed on the series.
    """
    try:
        ds = pydicom.dcmread(source.path)
    except Exception as error:  # pydicom raises many types on a cut or corrupt file
        raise AnnotationError(f"the file cannot be read ({type(error).__name__}: truncated or corrupt)") from None
    geometry = SeriesGeometry.of(series)
    shape = (series.rows, series.columns)
    masks: dict[str, dict[int, np.ndarray]] = {}
    reasons: list[str] = []
    for number, (group, item) in enumerate(shape_items(ds), start=1):
        placed = _place(item, geometry, frame_of_reference)
        if isinstance(placed, str):
            reasons.append(placed)
            continue
        index, polygon = placed
        slices = masks.setdefault(group or f"Region {number}", {})
        mask = polygon_mask(polygon, shape)
        slices[index] = slices[index] | mask if index in slices else mask
    if not masks:
        why = reasons[0] if reasons else "it has no regions"
        raise AnnotationError(f"none of its regions can be drawn ({why})")
    regions = []
    for name, slices in masks.items():
        cropped = {index: SliceMask.from_full(mask) for index, mask in slices.items()}
        regions.append(Region(name, None, {index: crop for index, crop in cropped.items() if crop is not None}))
    notes = (f"{len(reasons)} region(s) left out ({reasons[0]})",) if reasons else ()
    return AnnotationOverlay(source, tuple(regions), notes)
