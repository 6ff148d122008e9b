"""Read a DICOM Segmentation onto a series: each segment as masks on the slices its frames match. No Qt.

Third-party SEGs are often not strictly valid (the QIN challenge SEGs list every CT slice in one shared Derivation
Image Sequence). A frame is placed by its own source image reference when it has exactly one that names a slice of
the series, else by its Plane Position (the slice whose plane holds it, with the same first pixel). Frames that
match no slice are left out and counted in a note.
"""

from __future__ import annotations

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from lungview.annotations.geometry import SeriesGeometry
from lungview.annotations.regions import AnnotationError, AnnotationOverlay, Region, SliceMask
from lungview.volume import AnnotationObject, Series


def cielab_to_rgb(lab) -> tuple[int, int, int]:
    """DICOM scaled CIELab (PS3.3 C.10.7.1.1: three values 0-65535) as sRGB (D65 white), 0-255 each."""
    l_star = lab[0] * 100.0 / 65535.0
    a_star, b_star = (value * 255.0 / 65535.0 - 128.0 for value in lab[1:3])
    fy = (l_star + 16.0) / 116.0
    fx, fz = fy + a_star / 500.0, fy - b_star / 200.0

    def inverse(t: float) -> float:
        return t**3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)

    x, y, z = 0.95047 * inverse(fx), inverse(fy), 1.08883 * inverse(fz)
    linear = (3.2406 * x - 1.5372 * y - 0.4986 * z, -0.9689 * x + 1.8758 * y + 0.0415 * z,
              0.0557 * x - 0.2040 * y + 1.0570 * z)

    def encode(c: float) -> int:
        c = min(max(c, 0.0), 1.0)
        return round(255 * (12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055))

    red, green, blue = (encode(c) for c in linear)
    return red, green, blue


def _first(sequence) -> Dataset | None:
    return sequence[0] if sequence else None


def _frame_item(ds: Dataset, frame: int, keyword: str) -> Dataset | None:
    """The item of functional group ``keyword`` for ``frame``: per-frame first, else shared."""
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or ()
    if frame < len(per_frame) and keyword in per_frame[frame]:
        return _first(per_frame[frame].get(keyword))
    shared = _first(ds.get("SharedFunctionalGroupsSequence"))
    return _first(shared.get(keyword)) if shared is not None and keyword in shared else None


def _per_frame_source(ds: Dataset, frame: int) -> str | None:
    """The single source image a frame names in its own (per-frame) Derivation Image Sequence, or None."""
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or ()
    if frame >= len(per_frame):
        return None
    sources = [
        str(source.get("ReferencedSOPInstanceUID", ""))
        for derivation in per_frame[frame].get("DerivationImageSequence") or ()
        for source in derivation.get("SourceImageSequence") or ()
    ]
    return sources[0] if len(sources) == 1 else None


def frame_slice(ds: Dataset, frame: int, geometry: SeriesGeometry) -> int | None:
    """The slice index of ``frame`` in the series, or None when it matches none."""
    uid = _per_frame_source(ds, frame)
    if uid is not None and uid in geometry.index_of_uid:
        return geometry.index_of_uid[uid]
    plane = _frame_item(ds, frame, "PlanePositionSequence")
    position = plane.get("ImagePositionPatient") if plane is not None else None
    if position is None or len(position) != 3:
        return None
    index = geometry.slice_at(position)
    return index if index is not None and geometry.frame_matches_slice(index, position) else None


def _segment_masks(ds: Dataset, pixels: np.ndarray, frame: int) -> dict[int, np.ndarray]:
    """Segment number -> bool mask of ``frame``."""
    kind = str(ds.get("SegmentationType", "BINARY")).upper()
    image = pixels[frame]
    if kind == "LABELMAP":
        return {int(number): image == number for number in np.unique(image) if number}
    identification = _frame_item(ds, frame, "SegmentIdentificationSequence")
    if identification is None:
        return {}
    number = int(identification.ReferencedSegmentNumber)
    if kind == "FRACTIONAL":
        return {number: image > float(ds.get("MaximumFractionalValue", 255)) / 2}
    return {number: image.astype(bool)}


def _segment_names(ds: Dataset) -> dict[int, tuple[str, tuple[int, int, int] | None]]:
    """Segment number -> (label, recommended display colour or None)."""
    names = {}
    for position, item in enumerate(ds.get("SegmentSequence") or ()):
        number = int(item.get("SegmentNumber", position + 1))
        lab = item.get("RecommendedDisplayCIELabValue")
        colour = cielab_to_rgb(lab) if lab is not None and len(lab) == 3 else None
        names[number] = (str(item.get("SegmentLabel") or f"Segment {number}"), colour)
    return names


def read_seg(source: AnnotationObject, series: Series) -> AnnotationOverlay:
    """The segments of the SEG ``source`` as regions on ``series``.

    Raises
    ------
    AnnotationError
        When the file cannot be read, its frames have another size or orientation, or none matches a slice.
    """
    try:
        ds = pydicom.dcmread(source.path)
        pixels = ds.pixel_array
    except Exception as error:  # pydicom raises many types on a cut or corrupt file
        raise AnnotationError(f"its pixel data cannot be read ({type(error).__name__}: truncated or corrupt)") from None
    if (int(ds.Rows), int(ds.Columns)) != (series.rows, series.columns):
        raise AnnotationError(f"its frames are {ds.Rows}×{ds.Columns}, the images {series.rows}×{series.columns}")
    geometry = SeriesGeometry.of(series)
    orientation = _frame_item(ds, 0, "PlaneOrientationSequence")
    if orientation is not None and not geometry.same_orientation(orientation.get("ImageOrientationPatient")):
        raise AnnotationError("its frames are oriented differently from the images")
    pixels = pixels.reshape(-1, series.rows, series.columns)
    names = _segment_names(ds)
    masks: dict[int, dict[int, np.ndarray]] = {}
    unmatched = 0
    for frame in range(pixels.shape[0]):
        index = frame_slice(ds, frame, geometry)
        if index is None:
            unmatched += 1
            continue
        for number, mask in _segment_masks(ds, pixels, frame).items():
            slices = masks.setdefault(number, {})
            slices[index] = slices[index] | mask if index in slices else mask
    if unmatched == pixels.shape[0]:
        raise AnnotationError("its references match no image of this series")
    regions = []
    for number in sorted(set(names) | set(masks)):
        name, colour = names.get(number, (f"Segment {number}", None))
        cropped = {index: SliceMask.from_full(mask) for index, mask in masks.get(number, {}).items()}
        regions.append(Region(name, colour, {index: crop for index, crop in cropped.items() if crop is not None}))
    notes = (f"{unmatched} of {pixels.shape[0]} frames match no slice of this series: left out",) if unmatched else ()
    return AnnotationOverlay(source, tuple(regions), notes)
