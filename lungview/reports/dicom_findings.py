"""Write a series' AI findings as DICOM a PACS stores: a Segmentation and a TID 1500 Measurement Report. No Qt.

Files in the output folder are named by the CT series' Series Instance UID: ``<series_uid>_seg.dcm`` (the
Segmentation, only when there is a finding) and ``<series_uid>_sr.dcm`` (the Comprehensive 3D SR, always). Where one
UID holds several stacks, each stack's files carry its number: ``<series_uid>_stack<N>_seg.dcm``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from lungview.detection.lesions import SeriesLesions
from lungview.reports.dicom_seg import DicomFindingsError, build_segmentation, finding_identities
from lungview.reports.dicom_sr import build_measurement_report
from lungview.volume import Series


@dataclass(frozen=True)
class DicomFindingsFiles:
    """What was written for one series: the SEG path (None without a finding) and the SR path."""

    series_uid: str
    seg: Path | None
    sr: Path
    findings: int


def file_stem(series_uid: str, stack: int = 0) -> str:
    """``<series_uid>``, or ``<series_uid>_stack<N>`` for stack N of a UID that holds several."""
    return f"{series_uid}_stack{stack}" if stack else series_uid


def seg_path(out_dir: str | Path, series_uid: str, stack: int = 0) -> Path:
    """``<out_dir>/<series_uid>_seg.dcm`` (see :func:`file_stem`)."""
    return Path(out_dir) / f"{file_stem(series_uid, stack)}_seg.dcm"


def sr_path(out_dir: str | Path, series_uid: str, stack: int = 0) -> Path:
    """``<out_dir>/<series_uid>_sr.dcm`` (see :func:`file_stem`)."""
    return Path(out_dir) / f"{file_stem(series_uid, stack)}_sr.dcm"


def read_source_headers(series: Series) -> list[Dataset]:
    """The header (no pixels) of each slice of ``series``, in series order.

    Raises
    ------
    DicomFindingsError
        When a slice is a frame of a multi-frame file or not a DICOM file.
    """
    headers = []
    for slice_ref in series.slices:
        if slice_ref.frame is not None:
            raise DicomFindingsError("DICOM findings are written for single-frame CT slices only")
        try:
            headers.append(pydicom.dcmread(slice_ref.path, stop_before_pixels=True))
        except (OSError, pydicom.errors.InvalidDicomError) as error:
            raise DicomFindingsError(f"{Path(slice_ref.path).name} cannot be read as DICOM ({error})") from None
    return headers


#: Type 3 references copied from the CT that some scanners write without their Referenced SOP Class UID.
_COPIED_REFERENCES = ("ReferencedStudySequence", "ReferencedPerformedProcedureStepSequence")


def drop_incomplete_references(dataset: Dataset) -> None:
    """Remove copied study references that lack a SOP Class or Instance UID (Type 1 in PS3.3 10.8), in place.

    The Referenced Study Sequence (Type 3) goes when no item is left; the Referenced Performed Procedure Step
    Sequence stays, empty (Type 2 in the SR Document Series module).
    """
    for keyword in _COPIED_REFERENCES:
        if keyword in dataset:
            items = [item for item in dataset.get(keyword) or () if item.get("ReferencedSOPClassUID")
                     and item.get("ReferencedSOPInstanceUID")]
            if items or keyword != "ReferencedStudySequence":
                setattr(dataset, keyword, items)
            else:
                del dataset[keyword]


def write_dicom_findings(series: Series, lesions: SeriesLesions, out_dir: str | Path) -> DicomFindingsFiles:
    """Write the SEG (with findings) and the SR of ``lesions`` found in ``series`` into ``out_dir`` (created).

    Raises
    ------
    DicomFindingsError
        When the lesions belong to another series, the series was not evaluable, or the slices cannot serve as
        sources.
    """
    if lesions.series_uid != series.series_uid:
        raise DicomFindingsError("the findings belong to another series")
    if lesions.not_evaluable:
        # "No finding" would be a false statement about a series the model could not read: write nothing.
        raise DicomFindingsError(f"the series could not be evaluated ({lesions.not_evaluable})")
    sources = read_source_headers(series)
    identities = finding_identities(lesions)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    segmentation = None
    seg_file = None
    with warnings.catch_warnings():
        # highdicom warns about names copied from the CT as they are (e.g. a one-part pseudonym); they stay as stored.
        warnings.filterwarnings("ignore", message=".*person name.*", category=UserWarning)
        if lesions.findings:
            segmentation = build_segmentation(lesions, sources, identities)
            drop_incomplete_references(segmentation)
            seg_file = seg_path(out, series.series_uid, series.stack)
            segmentation.save_as(seg_file, enforce_file_format=True)
        report = build_measurement_report(lesions, sources, segmentation, identities)
    drop_incomplete_references(report)
    sr_file = sr_path(out, series.series_uid, series.stack)
    report.save_as(sr_file, enforce_file_format=True)
    return DicomFindingsFiles(series.series_uid, seg_file, sr_file, len(lesions.findings))
