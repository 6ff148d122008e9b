"""Recognise annotation objects (SEG, RTSTRUCT, SR with regions) during a scan and read what they refer to.

SEG and RTSTRUCT headers are read without their pixel data or contours; a Structured Report is read whole (it is
small) and counts only when it outlines something (a SCOORD or SCOORD3D content item).
"""

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from lungview.volume import AnnotationObject

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
RT_STRUCTURE_SET_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
SR_STORAGE_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
    "1.2.840.10008.5.1.4.1.1.88.35",  # Extensible SR
}
ANNOTATION_CLASSES = {
    SEGMENTATION_STORAGE: "SEG",
    RT_STRUCTURE_SET_STORAGE: "RTSTRUCT",
    **dict.fromkeys(SR_STORAGE_CLASSES, "SR"),
}
_KEYWORDS = [
    "SOPClassUID",
    "SOPInstanceUID",
    "SeriesInstanceUID",
    "StudyInstanceUID",
    "SeriesDescription",
    "ContentLabel",
    "StructureSetLabel",
    "FrameOfReferenceUID",
    "ReferencedSeriesSequence",
    "ReferencedFrameOfReferenceSequence",
]


def scoord_items(content: Dataset):
    """Every SCOORD and SCOORD3D content item under ``content``, depth first."""
    for item in content.get("ContentSequence") or ():
        if str(item.get("ValueType", "")) in ("SCOORD", "SCOORD3D"):
            yield item
        yield from scoord_items(item)


def referenced_series(ds: Dataset) -> tuple[str, ...]:
    """Series the object refers to: a SEG's Referenced Series Sequence, an RTSTRUCT's RT Referenced Series, an SR's
    evidence."""
    uids = [str(item.get("SeriesInstanceUID", "")) for item in ds.get("ReferencedSeriesSequence") or ()]
    for keyword in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence"):
        for study in ds.get(keyword) or ():
            uids += [str(item.get("SeriesInstanceUID", "")) for item in study.get("ReferencedSeriesSequence") or ()]
    for frame in ds.get("ReferencedFrameOfReferenceSequence") or ():
        for study in frame.get("RTReferencedStudySequence") or ():
            uids += [str(item.get("SeriesInstanceUID", "")) for item in study.get("RTReferencedSeriesSequence") or ()]
    return tuple(dict.fromkeys(uid for uid in uids if uid))


def frame_of_reference(ds: Dataset) -> str:
    """The object's frame of reference (an RTSTRUCT's: the first Referenced Frame of Reference)."""
    uid = str(ds.get("FrameOfReferenceUID", "") or "")
    if not uid:
        frames = ds.get("ReferencedFrameOfReferenceSequence") or ()
        uid = str(frames[0].get("FrameOfReferenceUID", "")) if frames else ""
    if not uid and "ContentSequence" in ds:
        uid = next((str(item.get("ReferencedFrameOfReferenceUID", "")) for item in scoord_items(ds)
                    if item.get("ReferencedFrameOfReferenceUID")), "")
    return uid


def read_annotation_object(path: str | Path) -> AnnotationObject | None:
    """The annotation object in ``path``, or None when it holds no SEG, RTSTRUCT or SR with regions (or no DICOM)."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_KEYWORDS)
    except Exception:  # a file the image scan already judged; here only SEG and RTSTRUCT matter
        return None
    kind = ANNOTATION_CLASSES.get(str(ds.get("SOPClassUID", "")))
    if kind is None:
        return None
    if kind == "SR":
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # judged unreadable: not an annotation
            return None
        if next(scoord_items(ds), None) is None:
            return None
    names = {"RTSTRUCT": ("StructureSetLabel", "SeriesDescription")}.get(kind, ("SeriesDescription", "ContentLabel"))
    label = next((str(ds.get(name)) for name in names if ds.get(name)), kind)
    return AnnotationObject(
        path=str(path),
        kind=kind,
        label=label,
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        series_uid=str(ds.get("SeriesInstanceUID", "")),
        study_uid=str(ds.get("StudyInstanceUID", "")),
        frame_of_reference_uid=frame_of_reference(ds),
        referenced_series_uids=referenced_series(ds),
    )
