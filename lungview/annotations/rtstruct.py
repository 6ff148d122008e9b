"""Read an RT Structure Set onto a series: each ROI's closed planar contours as polygons, filled into masks. No Qt.

A contour is placed on the slice its Contour Image Sequence names, else on the slice whose plane holds its points;
its patient coordinates become (row, col) pixel coordinates of that slice. Contours of one ROI on one slice are
combined by exclusive or, so an inner contour cuts a hole (PS3.3 C.8.8.6.3).
"""

from __future__ import annotations

import cv2
import numpy as np
import pydicom

from lungview.annotations.geometry import SeriesGeometry
from lungview.annotations.regions import AnnotationError, AnnotationOverlay, Region, SliceMask
from lungview.volume import AnnotationObject, Series

_SUBPIXEL_BITS = 4


def polygon_mask(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The pixels inside or on ``polygon``: (n, 2) (row, col) pixel indices, the centre of pixel (r, c) at (r, c).

    cv2's fill rule: a pixel the outline passes through is filled, so a mask is up to half a pixel wider all
    round than the exact inside.
    """
    scale = 1 << _SUBPIXEL_BITS
    points = np.round(polygon[:, ::-1] * scale).astype(np.int32)  # cv2 takes (x, y) = (col, row)
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [points], 1, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    return mask.astype(bool)


def contour_polygons(source: AnnotationObject, series: Series) -> tuple[dict[int, tuple[str, tuple]], dict, int, int]:
    """Read ``source``: ROI number -> (name, colour); ROI -> slice -> polygons; contours placed; contours left out.

    Raises
    ------
    AnnotationError
        When the file cannot be read or the series has no patient geometry.
    """
    try:
        ds = pydicom.dcmread(source.path)
    except Exception as error:  # pydicom raises many types on a cut or corrupt file
        raise AnnotationError(f"the file cannot be read ({type(error).__name__}: truncated or corrupt)") from None
    geometry = SeriesGeometry.of(series)
    if not geometry.has_patient_geometry:
        raise AnnotationError("the images have no patient geometry to place contours on")
    names = {
        int(item.ROINumber): str(item.get("ROIName") or f"ROI {item.ROINumber}")
        for item in ds.get("StructureSetROISequence") or ()
    }
    rois: dict[int, tuple[str, tuple]] = {}
    polygons: dict[int, dict[int, list[np.ndarray]]] = {}
    placed = left_out = 0
    for position, item in enumerate(ds.get("ROIContourSequence") or ()):
        number = int(item.get("ReferencedROINumber", position + 1))
        colour = item.get("ROIDisplayColor")
        rgb = tuple(int(c) for c in colour) if colour is not None and len(colour) == 3 else None
        rois[number] = (names.get(number, f"ROI {number}"), rgb)
        for contour in item.get("ContourSequence") or ():
            data = contour.get("ContourData")
            if data is None or len(data) < 9 or str(contour.get("ContourGeometricType", "")) != "CLOSED_PLANAR":
                left_out += 1
                continue
            points = np.asarray(data, float).reshape(-1, 3)
            images = contour.get("ContourImageSequence") or ()
            uid = str(images[0].get("ReferencedSOPInstanceUID", "")) if images else ""
            index = geometry.index_of_uid.get(uid)
            if index is None:
                index = geometry.slice_at(points.mean(axis=0))
            if index is None:
                left_out += 1
                continue
            polygons.setdefault(number, {}).setdefault(index, []).append(geometry.to_pixels(index, points))
            placed += 1
    return rois, polygons, placed, left_out


def read_rtstruct(source: AnnotationObject, series: Series) -> AnnotationOverlay:
    """The ROIs of the RTSTRUCT ``source`` as regions on ``series`` (its frame of reference is checked by the caller).

    Raises
    ------
    AnnotationError
        When it cannot be read or none of its contours lies on a slice of the series.
    """
    rois, polygons, placed, left_out = contour_polygons(source, series)
    if not placed:
        raise AnnotationError("none of its contours lies on an image of this series")
    shape = (series.rows, series.columns)
    regions = []
    for number, (name, colour) in rois.items():
        slices = {}
        for index, shapes in polygons.get(number, {}).items():
            mask = np.zeros(shape, bool)
            for polygon in shapes:
                mask ^= polygon_mask(polygon, shape)
            crop = SliceMask.from_full(mask)
            if crop is not None:
                slices[index] = crop
        regions.append(Region(name, colour, slices))
    notes = ()
    if left_out:
        notes = (f"{left_out} contour(s) lie on no image of this series or are not closed planar: left out",)
    return AnnotationOverlay(source, tuple(regions), notes)
