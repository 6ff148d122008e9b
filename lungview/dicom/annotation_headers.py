"""Recognise annotation objects (SEG, RTSTRUCT) during a scan and read what they refer to. Headers only."""

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from lungview.volume import AnnotationObject

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
RT_STRUCTURE_SET_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
ANNOTATION_CLASSES = {SEGMENTATION_STORAGE: "SEG", RT_STRUCTURE_SET_STORAGE: "RTSTRUCT"}
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


def referenced_series(ds: Dataset) -> tuple[str, ...]:
    """Series the object refers to: a SEG's Referenced Series Sequence, an RTSTRUCT's RT Referenced Series."""
    uids = [str(item.get("SeriesInstanceUID", "")) for item in ds.get("ReferencedSeriesSequence") or ()]
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
    return uid


def read_annotation_object(path: str | Path) -> AnnotationObject | None:
    """The annotation object in ``path``, or None when the file holds no SEG or RTSTRUCT (or is not DICOM)."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_KEYWORDS)
    except Exception:  # a file the image scan already judged; here only SEG and RTSTRUCT matter
        return None
    kind = ANNOTATION_CLASSES.get(str(ds.get("SOPClassUID", "")))
    if kind is None:
        return None
    names = ("StructureSetLabel", "SeriesDescription") if kind == "RTSTRUCT" else ("SeriesDescription", "ContentLabel")
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
