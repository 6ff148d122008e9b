"""DICOM Secondary Capture of a reported slice with the overlay and a text band burned in (PS3.3 A.8.1).

The new image gets its own SOP Instance and Series Instance UIDs, stays in the source's study, and points back to the
source image through SourceImageSequence and ReferencedImageSequence. With ``deidentify`` the patient's name, ID and
birth date are replaced, other identifying study attributes are left empty, and nothing identifying is burned in
(the burned-in text never holds identifiers: a PACS shows them from the tags).
"""

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from lungview import __version__
from lungview.reports.content import SliceReport
from lungview.reports.overlay import blend_heatmap, grey_to_rgb
from lungview.reports.text import burned_in_lines

SERIES_NUMBER = 9901
DEIDENTIFIED_NAME = "ANONYMOUS"
DEIDENTIFICATION_METHOD = "LungView: name, ID, birth date replaced; none burned in"
_TEXT_HEIGHT_FRACTION = 0.028
_MIN_FONT_PIXELS = 10

#: Study attributes copied from the source; those marked True may identify the patient and are emptied on request.
_STUDY_ATTRIBUTES: dict[str, bool] = {
    "StudyDate": False,
    "StudyTime": False,
    "StudyID": False,
    "StudyDescription": False,
    "AccessionNumber": True,
    "ReferringPhysicianName": True,
}


class SecondaryCaptureError(ValueError):
    """The slice cannot be exported as a Secondary Capture (for example, its source is not a DICOM file)."""


def _wrap_to_width(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap of ``text`` so that each line drawn in ``font`` is at most ``width`` pixels wide."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > width:
            lines.append(current)
            candidate = word
        current = candidate
    return [*lines, current] if current else lines


def burn_in(report: SliceReport) -> tuple[np.ndarray, list[str]]:
    """RGB uint8 pixels of the export (slice, overlay if any, text band below) and the text lines drawn on them."""
    if report.heatmap is None:
        image = grey_to_rgb(report.image)
    else:
        image = blend_heatmap(report.image, report.heatmap, report.overlay_opacity)
    rows, columns = image.shape[:2]
    font_pixels = max(_MIN_FONT_PIXELS, round(rows * _TEXT_HEIGHT_FRACTION))
    font = ImageFont.load_default(size=font_pixels)
    margin = font_pixels // 2
    lines = [part for line in burned_in_lines(report) for part in _wrap_to_width(line, font, columns - 2 * margin)]
    line_height = round(font_pixels * 1.3)
    band = Image.new("RGB", (columns, line_height * len(lines) + line_height // 2), "black")
    draw = ImageDraw.Draw(band)
    for number, line in enumerate(lines):
        draw.text((margin, line_height // 4 + number * line_height), line, fill="white", font=font)
    return np.concatenate([image, np.asarray(band)], axis=0), lines


def _read_source_header(report: SliceReport) -> Dataset:
    path = report.slice_ref.path
    try:
        return dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError) as error:
        raise SecondaryCaptureError(
            f"a DICOM Secondary Capture needs a DICOM source slice; {Path(path).name} cannot be read as DICOM ({error})"
        ) from None


def _pseudonym(study_uid: str) -> str:
    """A stable stand-in patient ID derived from the study UID (not from any patient identifier)."""
    return "LV-" + hashlib.sha256(study_uid.encode("ascii")).hexdigest()[:12].upper()


def _image_reference(source: Dataset, frame: int | None) -> Sequence:
    """One-item reference to the source image; with the frame number (from 1) for a frame of a multi-frame file."""
    item = Dataset()
    item.ReferencedSOPClassUID = source.SOPClassUID
    item.ReferencedSOPInstanceUID = source.SOPInstanceUID
    if frame is not None:
        item.ReferencedFrameNumber = frame + 1
    return Sequence([item])


def build_secondary_capture(report: SliceReport, deidentify: bool = False) -> tuple[Dataset, list[str]]:
    """The Secondary Capture data set of ``report`` and the text lines burned into its pixels.

    Raises
    ------
    SecondaryCaptureError
        If the source slice is not a DICOM file with SOP Class and Instance UIDs.
    """
    source = _read_source_header(report)
    if "SOPClassUID" not in source or "SOPInstanceUID" not in source:
        raise SecondaryCaptureError("the source slice has no SOP Class or SOP Instance UID to refer to")
    now = datetime.now(timezone.utc)
    pixels, lines = burn_in(report)

    dataset = Dataset()
    dataset.SpecificCharacterSet = "ISO_IR 192"
    dataset.SOPClassUID = SecondaryCaptureImageStorage
    dataset.SOPInstanceUID = generate_uid()
    dataset.InstanceCreationDate = dataset.ContentDate = now.strftime("%Y%m%d")
    dataset.InstanceCreationTime = dataset.ContentTime = now.strftime("%H%M%S")
    dataset.TimezoneOffsetFromUTC = "+0000"

    if deidentify:
        dataset.PatientName = DEIDENTIFIED_NAME
        dataset.PatientID = _pseudonym(report.series.study_uid or source.get("StudyInstanceUID", ""))
        dataset.PatientBirthDate = ""
        dataset.PatientSex = ""
        dataset.PatientIdentityRemoved = "YES"
        dataset.DeidentificationMethod = DEIDENTIFICATION_METHOD
    else:
        dataset.PatientName = source.get("PatientName", "")
        dataset.PatientID = source.get("PatientID", "")
        dataset.PatientBirthDate = source.get("PatientBirthDate", "")
        dataset.PatientSex = source.get("PatientSex", "")

    dataset.StudyInstanceUID = source.StudyInstanceUID
    for keyword, identifying in _STUDY_ATTRIBUTES.items():
        setattr(dataset, keyword, "" if identifying and deidentify else source.get(keyword, ""))

    dataset.Modality = "OT"
    # Type 2C in General Series (PS3.3 C.7.3.1): the source's side where it states one, else empty (unknown).
    dataset.Laterality = source.get("Laterality", "")
    dataset.SeriesInstanceUID = generate_uid()
    dataset.SeriesNumber = SERIES_NUMBER
    dataset.SeriesDescription = "LungView AI overlay (not a diagnosis)"
    dataset.ConversionType = "WSD"
    dataset.SecondaryCaptureDeviceManufacturer = "LungView"
    dataset.SecondaryCaptureDeviceSoftwareVersions = __version__
    dataset.InstanceNumber = 1
    dataset.PatientOrientation = ""
    dataset.ImageType = ["DERIVED", "SECONDARY"]
    dataset.BurnedInAnnotation = "NO"  # the text band holds no identifiers
    dataset.DerivationDescription = _derivation_description(report)
    dataset.SourceImageSequence = _image_reference(source, report.slice_ref.frame)
    dataset.ReferencedImageSequence = _image_reference(source, report.slice_ref.frame)
    dataset.set_pixel_data(pixels, "RGB", 8)

    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return dataset, lines


def _derivation_description(report: SliceReport) -> str:
    parts = [
        "LungView secondary capture of the source slice",
        f"window W{report.window.width:g} L{report.window.center:g}",
    ]
    if report.model is not None:
        parts.append(f"classified by {report.model.model_id} {report.model.version}")
    if report.heatmap is not None:
        parts.append("colour overlay of model attention burned in (not lesion location)")
    return "; ".join(parts)[:1024]  # ST holds at most 1024 characters


def write_secondary_capture(report: SliceReport, path: str | Path, deidentify: bool = False) -> Dataset:
    """Write the Secondary Capture of ``report`` to ``path`` (a DICOM Part 10 file) and return its data set."""
    dataset, _ = build_secondary_capture(report, deidentify)
    dataset.save_as(path, enforce_file_format=True)
    return dataset
