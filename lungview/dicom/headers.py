"""Read one DICOM file's header (no pixel data) into per-frame records, or say why the file is unusable."""

import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from lungview.dicom.errors import unsupported_transfer_syntax
from lungview.dicom.geometry import slice_normal
from lungview.volume import PatientIdentity, SliceRef
from lungview.windowing import Window

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
PIXEL_DATA_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}
_REQUIRED_IMAGE_TAGS = (
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
    "SamplesPerPixel",
    "PhotometricInterpretation",
)
#: The only elements a scan reads: pydicom skips the values of all others, which halves the time of a header read.
HEADER_KEYWORDS = [
    *_REQUIRED_IMAGE_TAGS,
    "SpecificCharacterSet",
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SeriesNumber",
    "SeriesDescription",
    "Modality",
    "ImageType",
    "AcquisitionNumber",
    "InstanceNumber",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "NumberOfFrames",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "ImagerPixelSpacing",
    "SliceThickness",
    "GantryDetectorTilt",
    "GridFrameOffsetVector",
    "RescaleSlope",
    "RescaleIntercept",
    "ModalityLUTSequence",
    "WindowCenter",
    "WindowWidth",
    "SharedFunctionalGroupsSequence",
    "PerFrameFunctionalGroupsSequence",
    "DirectoryRecordSequence",
]
_INTEGER_PIXEL_DATA = 0x7FE00010
#: Float and Double Float Pixel Data have no Bits Stored or Pixel Representation (PS3.3 C.7.6.3).
_REQUIRED_FLOAT_IMAGE_TAGS = tuple(
    keyword for keyword in _REQUIRED_IMAGE_TAGS if keyword not in ("BitsStored", "PixelRepresentation")
)
_LONG_LENGTH_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"SV", b"UV"}
_UNDEFINED_LENGTH = 0xFFFFFFFF


class UnusableFile(Exception):
    """A file that holds no usable image; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FrameHeader:
    """Everything the scanner needs from one frame's header to group, split and sort it."""

    ref: SliceRef
    """The slice identity; ``z`` is filled in later, when the stack is sorted."""
    series_uid: str
    study_uid: str
    series_number: int | None
    modality: str
    description: str
    rows: int
    columns: int
    orientation: tuple[float, ...] | None
    position: tuple[float, float, float] | None
    acquisition: str
    image_type: tuple[str, ...]
    patient: PatientIdentity
    stored_window: Window | None
    has_hu: bool
    gantry_tilt: float


@dataclass(frozen=True)
class _PixelElement:
    """The pixel data element: its tag and the length it declares (None: undefined length)."""

    tag: int
    length: int | None
    available: int
    """Bytes left in the file after the element's header."""


def read_dataset(source: str | Path | BinaryIO, **kwargs: Any) -> Dataset:
    """``dcmread`` that also accepts files without the DICOM preamble, and fills a missing transfer syntax.

    Raises
    ------
    UnusableFile
        When the file is not DICOM at all.
    """
    try:
        ds = pydicom.dcmread(source, **kwargs)
    except InvalidDicomError:
        if not _starts_like_bare_dataset(source):
            raise UnusableFile("not a DICOM file") from None
        ds = pydicom.dcmread(source, force=True, **kwargs)
        if "SOPClassUID" not in ds and "Rows" not in ds:
            raise UnusableFile("not a DICOM file") from None
    ensure_transfer_syntax(ds)
    return ds


def _starts_like_bare_dataset(source: str | Path | BinaryIO) -> bool:
    """True when a file without the DICOM preamble starts with a group 0002 or 0008 tag, as old files do.

    Only such files are parsed leniently: forcing pydicom through any other file (a zip, a video) could make it
    read the whole file into memory. Leaves a file object at its start.
    """
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fp:
            head = fp.read(2)
    else:
        source.seek(0)
        head = source.read(2)
        source.seek(0)
    return head in (b"\x02\x00", b"\x08\x00", b"\x00\x02", b"\x00\x08")


def ensure_transfer_syntax(ds: Dataset) -> None:
    """Give a dataset read without a Transfer Syntax UID the one its encoding was read with."""
    if ds.file_meta.get("TransferSyntaxUID"):
        return
    implicit, little = ds.original_encoding
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    else:
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian if little is not False else ExplicitVRBigEndian


def read_frame_headers(path: str | Path) -> list[FrameHeader]:
    """Read the header of the DICOM file ``path`` and describe each of its frames.

    Raises
    ------
    UnusableFile
        With a plain reason when the file is not DICOM, not an image, unsupported or visibly broken.
    """
    with open(path, "rb") as fp:
        size = os.fstat(fp.fileno()).st_size
        ds = read_dataset(fp, stop_before_pixels=True, specific_tags=HEADER_KEYWORDS)
        pixel_element = _peek_pixel_element(fp, ds, size)
    _check_is_usable_image(ds, pixel_element)
    return _frame_headers(str(path), ds)


def _peek_pixel_element(fp: BinaryIO, ds: Dataset, size: int) -> _PixelElement | None:
    """The pixel data element the reader stopped in front of, or None when the file has none."""
    transfer_syntax = ds.file_meta.TransferSyntaxUID
    if transfer_syntax == DeflatedExplicitVRLittleEndian:
        # The deflated body was read from a decompressed copy: the file position says nothing.
        return _PixelElement(tag=0x7FE00010, length=None, available=size) if "Rows" in ds else None
    start = fp.tell()
    head = fp.read(12)
    if len(head) < 8:
        return None
    implicit, little = ds.original_encoding
    endian = "<" if little is not False else ">"
    group, element = struct.unpack(f"{endian}HH", head[:4])
    if (group << 16 | element) not in PIXEL_DATA_TAGS:
        return None
    if implicit or head[4:6] not in _LONG_LENGTH_VRS:
        (length,) = struct.unpack(f"{endian}L", head[4:8]) if implicit else struct.unpack(f"{endian}H", head[6:8])
        header_size = 8
    else:
        if len(head) < 12:
            return _PixelElement(tag=group << 16 | element, length=0, available=0)
        (length,) = struct.unpack(f"{endian}L", head[8:12])
        header_size = 12
    available = size - start - header_size
    tag = group << 16 | element
    if length == _UNDEFINED_LENGTH:
        _check_fragments(fp, start + header_size, size)
        return _PixelElement(tag=tag, length=None, available=available)
    return _PixelElement(tag=tag, length=length, available=available)


def _check_fragments(fp: BinaryIO, offset: int, size: int) -> None:
    """Walk the items of encapsulated pixel data (PS3.5 A.4) without reading them; raise if cut short."""
    while offset + 8 <= size:
        fp.seek(offset)
        group, element, length = struct.unpack("<HHL", fp.read(8))
        if (group, element) == (0xFFFE, 0xE0DD):
            return
        if (group, element) != (0xFFFE, 0xE000) or length == _UNDEFINED_LENGTH:
            raise UnusableFile("the compressed pixel data is corrupt: its fragments are malformed")
        offset += 8 + length
    raise UnusableFile("the compressed pixel data is truncated: the file ends before the end of the image")


def _check_is_usable_image(ds: Dataset, pixel_element: _PixelElement | None) -> None:
    """Raise :class:`UnusableFile` unless ``ds`` is an image whose pixels this installation can decode."""
    sop_class = str(ds.get("SOPClassUID", "") or ds.file_meta.get("MediaStorageSOPClassUID", ""))
    if sop_class == MEDIA_STORAGE_DIRECTORY or "DirectoryRecordSequence" in ds:
        raise UnusableFile("DICOMDIR (the index of a disc or folder; its images are read from their own files)")
    if pixel_element is None:
        kind = _object_kind(ds, sop_class)
        if "Image" in kind:
            raise UnusableFile(f"no pixel data: the file holds only the header of an image ({kind})")
        raise UnusableFile(f"not an image ({kind})")
    required = _REQUIRED_IMAGE_TAGS if pixel_element.tag == _INTEGER_PIXEL_DATA else _REQUIRED_FLOAT_IMAGE_TAGS
    missing = [_spaced(keyword) for keyword in required if ds.get(keyword) in (None, "")]
    if missing:
        raise UnusableFile(f"the header lacks tags needed to show the image: {', '.join(missing)}")
    frames = _number_of_frames(ds)
    if int(ds.Rows) <= 0 or int(ds.Columns) <= 0 or frames <= 0:
        raise UnusableFile(f"the image size is invalid ({ds.Rows} x {ds.Columns}, {frames} frames)")
    problem = unsupported_transfer_syntax(ds.file_meta.TransferSyntaxUID)
    if problem:
        raise UnusableFile(problem)
    if pixel_element.length is not None and not UID(ds.file_meta.TransferSyntaxUID).is_compressed:
        expected = _expected_pixel_bytes(ds, frames)
        declared = min(pixel_element.length, pixel_element.available)
        if declared < expected:
            raise UnusableFile(
                f"the pixel data is truncated ({declared} of {expected} bytes): the file is cut short or corrupt"
            )


def _expected_pixel_bytes(ds: Dataset, frames: int) -> int:
    """Bytes of native pixel data the header promises (PS3.5 8.1.1; 1-bit data is packed)."""
    samples = int(ds.SamplesPerPixel)
    bits = int(ds.BitsAllocated)
    pixels = int(ds.Rows) * int(ds.Columns) * frames * samples
    if str(ds.PhotometricInterpretation) == "YBR_FULL_422":
        pixels = pixels * 2 // 3
    return math.ceil(pixels * bits / 8)


def _number_of_frames(ds: Dataset) -> int:
    value = ds.get("NumberOfFrames", 1)
    try:
        return int(value) if value not in (None, "") else 1
    except (TypeError, ValueError):
        raise UnusableFile(f"the Number of Frames tag is invalid ({value!r})") from None


def _object_kind(ds: Dataset, sop_class: str) -> str:
    """A short name for what a DICOM object is: its SOP class without "Storage", or its modality."""
    name = UID(sop_class).name if sop_class else ""
    if name and name != sop_class:
        return name.removesuffix(" Storage")
    modality = str(ds.get("Modality", "") or "")
    return f"{modality} object" if modality else "no image in the file"


def _spaced(keyword: str) -> str:
    """``BitsAllocated`` -> ``Bits Allocated``."""
    return "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(keyword))


def _frame_headers(path: str, ds: Dataset) -> list[FrameHeader]:
    """One :class:`FrameHeader` per frame, with per-frame geometry for enhanced multi-frame objects."""
    frames = _number_of_frames(ds)
    common = dict(
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        study_uid=str(ds.get("StudyInstanceUID", "") or ""),
        series_number=_int_or_none(ds.get("SeriesNumber")),
        modality=str(ds.get("Modality", "") or "OT"),
        description=str(ds.get("SeriesDescription", "") or ""),
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        acquisition=str(ds.get("AcquisitionNumber", "") or ""),
        image_type=tuple(str(v) for v in _as_list(ds.get("ImageType"))),
        patient=PatientIdentity(
            name=str(ds.get("PatientName", "") or ""),
            patient_id=str(ds.get("PatientID", "") or ""),
            birth_date=str(ds.get("PatientBirthDate", "") or ""),
        ),
        gantry_tilt=_float_or_none(ds.get("GantryDetectorTilt")) or 0.0,
    )
    sop_uid = str(ds.get("SOPInstanceUID", "") or "")
    instance_number = _int_or_none(ds.get("InstanceNumber"))
    shared = _first_item(ds.get("SharedFunctionalGroupsSequence"))
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    frame_offsets = _frame_offsets(ds, frames)
    headers = []
    for frame in range(frames):
        groups = [g for g in (_item(per_frame, frame), shared) if g is not None]
        measures = _group_item(groups, "PixelMeasuresSequence") or ds
        plane = _group_item(groups, "PlanePositionSequence")
        orientation_item = _group_item(groups, "PlaneOrientationSequence") or ds
        orientation = _orientation(orientation_item.get("ImageOrientationPatient"))
        rescale = _group_item(groups, "PixelValueTransformationSequence") or ds
        voi = _group_item(groups, "FrameVOILUTSequence") or ds
        ref = SliceRef(
            path=path,
            sop_instance_uid=sop_uid,
            instance_number=instance_number,
            z=0.0,
            pixel_spacing=_floats(measures.get("PixelSpacing"), 2) or _floats(ds.get("ImagerPixelSpacing"), 2),
            slice_thickness=_float_or_none(measures.get("SliceThickness")),
            frame=frame if frames > 1 else None,
        )
        headers.append(
            FrameHeader(
                ref=ref,
                orientation=orientation,
                position=_frame_position(ds, plane, orientation, frame_offsets, frame),
                stored_window=_window(voi),
                has_hu=has_modality_lut(rescale, ds) and common["modality"] == "CT",
                **common,
            )
        )
    return headers


def _frame_offsets(ds: Dataset, frames: int) -> tuple[float, ...] | None:
    """Frame offsets along the normal of a legacy multi-frame object (RT Dose GridFrameOffsetVector)."""
    return _floats(ds.get("GridFrameOffsetVector"), frames) if frames > 1 else None


def _frame_position(
    ds: Dataset,
    plane: Dataset | None,
    orientation: tuple[float, ...] | None,
    frame_offsets: tuple[float, ...] | None,
    frame: int,
) -> tuple[float, float, float] | None:
    """ImagePositionPatient of one frame: per-frame group, else the file's position (shifted by a grid offset).

    A multi-frame file with one position and no offsets (cine, NM) gives no position per frame.
    """
    if plane is not None:
        return _floats(plane.get("ImagePositionPatient"), 3)
    origin = _floats(ds.get("ImagePositionPatient"), 3)
    if origin is None or _number_of_frames(ds) == 1:
        return origin
    if frame_offsets is None or orientation is None:
        return None
    normal = slice_normal(orientation)
    return tuple(float(o + frame_offsets[frame] * n) for o, n in zip(origin, normal))


def has_modality_lut(rescale_source: Dataset, ds: Dataset) -> bool:
    """True when a rescale (slope/intercept) or a Modality LUT Sequence maps stored values to output units.

    Raises
    ------
    UnusableFile
        When the slope or intercept is present but not a finite number.
    """
    slope, intercept = rescale_source.get("RescaleSlope"), rescale_source.get("RescaleIntercept")
    for name, value in (("Rescale Slope", slope), ("Rescale Intercept", intercept)):
        if value not in (None, "") and _float_or_none(value) is None:
            raise UnusableFile(f"the {name} is not a number ({value!r}): pixel values cannot be converted")
    return (slope is not None and intercept is not None) or bool(ds.get("ModalityLUTSequence"))


def frame_rescale(ds: Dataset, frame: int | None) -> Dataset:
    """The dataset holding the rescale of ``frame``: a functional group item, else ``ds`` itself."""
    if frame is None or "RescaleSlope" in ds:
        return ds
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    groups = [g for g in (_item(per_frame, frame), _first_item(ds.get("SharedFunctionalGroupsSequence"))) if g]
    return _group_item(groups, "PixelValueTransformationSequence") or ds


def _group_item(groups: list[Dataset], keyword: str) -> Dataset | None:
    """First item of functional group ``keyword`` in the per-frame group, else in the shared group."""
    for group in groups:
        item = _first_item(group.get(keyword))
        if item is not None:
            return item
    return None


def _item(sequence, index: int) -> Dataset | None:
    return sequence[index] if sequence is not None and index < len(sequence) else None


def _first_item(sequence) -> Dataset | None:
    return _item(sequence, 0) if sequence else None


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes, int, float)):
        return [value]
    return list(value)


def _floats(value, count: int) -> tuple[float, ...] | None:
    """``count`` finite floats from a multi-valued tag, or None when absent or malformed."""
    try:
        numbers = tuple(float(v) for v in _as_list(value))
    except (TypeError, ValueError):
        return None
    if len(numbers) != count or not all(math.isfinite(n) for n in numbers):
        return None
    return numbers


def _float_or_none(value) -> float | None:
    numbers = _floats(value, 1)
    return numbers[0] if numbers else None


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _orientation(value) -> tuple[float, ...] | None:
    """ImageOrientationPatient as six floats, or None when absent or not two unit-ish directions."""
    cosines = _floats(value, 6)
    if cosines is None:
        return None
    row_norm = math.hypot(*cosines[:3])
    column_norm = math.hypot(*cosines[3:])
    if abs(row_norm - 1) > 0.05 or abs(column_norm - 1) > 0.05:
        return None
    return cosines


def _window(ds: Dataset) -> Window | None:
    """The first stored WindowCenter/WindowWidth pair, or None."""
    center = _as_list(ds.get("WindowCenter"))
    width = _as_list(ds.get("WindowWidth"))
    try:
        window = Window(float(center[0]), float(width[0])) if center and width else None
    except (TypeError, ValueError):
        return None
    if window is None or not (math.isfinite(window.center) and math.isfinite(window.width)) or window.width <= 0:
        return None
    return window
