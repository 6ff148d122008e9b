from dataclasses import replace

import numpy as np
import pydicom
import pytest
from pydicom.uid import SecondaryCaptureImageStorage
from report_fixtures import ATTENTION_PEAK, PATIENT, identifying_strings

from lungview.dicom import read_slice, scan_paths
from lungview.reports import SecondaryCaptureError, build_secondary_capture, write_secondary_capture
from lungview.reports.overlay import blend_heatmap
from lungview.volume import Series


def every_text_value(dataset: pydicom.Dataset) -> list[str]:
    """String forms of every element value, sequences included, file meta included."""
    values = []
    for element in [*dataset.file_meta, *dataset.iterall()]:
        if element.VR in ("OB", "OW", "SQ"):
            continue
        values.append(str(element.value))
    return values


def test_export_opens_in_pydicom_with_new_uids_and_references_to_the_source(make_report, identified_slice, tmp_path):
    source = pydicom.dcmread(identified_slice)
    path = tmp_path / "sc.dcm"
    write_secondary_capture(make_report(), path)
    export = pydicom.dcmread(path)
    assert export.SOPClassUID == SecondaryCaptureImageStorage == export.file_meta.MediaStorageSOPClassUID
    assert export.SOPInstanceUID not in (source.SOPInstanceUID, "") and export.SOPInstanceUID.is_valid
    assert export.SeriesInstanceUID not in (source.SeriesInstanceUID, "") and export.SeriesInstanceUID.is_valid
    assert export.StudyInstanceUID == source.StudyInstanceUID
    for sequence in (export.SourceImageSequence, export.ReferencedImageSequence):
        assert len(sequence) == 1
        assert sequence[0].ReferencedSOPClassUID == source.SOPClassUID
        assert sequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
    assert "model attention" in export.DerivationDescription
    assert export.PatientName == source.PatientName and export.PatientID == source.PatientID


def test_overlay_is_burned_into_rgb_pixels(make_report, tmp_path):
    report = make_report()
    path = tmp_path / "sc.dcm"
    write_secondary_capture(report, path)
    pixels = pydicom.dcmread(path).pixel_array
    assert pixels.dtype == np.uint8 and pixels.shape[2] == 3
    assert pixels.shape[0] > report.image.shape[0]  # the text band lies below the slice
    assert np.array_equal(pixels[: report.image.shape[0]], blend_heatmap(report.image, report.heatmap))
    assert pixels[ATTENTION_PEAK][0] > pixels[ATTENTION_PEAK][2]


def test_export_opens_in_lungview(make_report, tmp_path):
    write_secondary_capture(make_report(), tmp_path / "sc.dcm")
    result = scan_paths([str(tmp_path / "sc.dcm")])
    assert len(result.series) == 1 and not result.skipped
    series: Series = result.series[0]
    image = read_slice(series, 0)
    assert image.shape == (series.rows, series.columns)
    assert np.ptp(image) > 0


def test_deidentified_export_holds_no_identifier_in_tags_or_burned_in_text(make_report, tmp_path):
    report = make_report()
    dataset, burned_lines = build_secondary_capture(report, deidentify=True)
    dataset.save_as(tmp_path / "sc.dcm", enforce_file_format=True)
    stored = pydicom.dcmread(tmp_path / "sc.dcm")
    tag_text = "\n".join(every_text_value(stored))
    raw_bytes = (tmp_path / "sc.dcm").read_bytes()
    header_bytes = raw_bytes[: raw_bytes.rfind(b"\xe0\x7f\x10\x00")]  # up to Pixel Data (7FE0,0010)
    for identifier in identifying_strings(PATIENT):
        assert identifier not in tag_text
        assert identifier.encode() not in header_bytes
        assert all(identifier not in line for line in burned_lines)
    assert stored.PatientIdentityRemoved == "YES"
    assert str(stored.PatientName) == "ANONYMOUS" and stored.PatientID and stored.PatientBirthDate == ""


def test_identified_export_keeps_the_patient_in_tags_but_never_burns_identifiers_in(make_report):
    dataset, burned_lines = build_secondary_capture(make_report(), deidentify=False)
    assert str(dataset.PatientName) == PATIENT.name and dataset.PatientBirthDate == PATIENT.birth_date
    for identifier in identifying_strings(PATIENT):
        assert all(identifier not in line for line in burned_lines)
    assert any("model attention - not lesion location" in line for line in burned_lines)


def test_a_plain_image_source_cannot_become_a_secondary_capture(make_report, tmp_path):
    report = make_report()
    png = tmp_path / "slice.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    plain_slice = replace(report.slice_ref, path=str(png))
    plain_report = replace(report, series=replace(report.series, slices=(plain_slice,)))
    with pytest.raises(SecondaryCaptureError, match="needs a DICOM source"):
        build_secondary_capture(plain_report)


def test_a_frame_of_a_multi_frame_source_is_referenced_by_number(make_report):
    report = make_report()
    framed = replace(report, series=replace(report.series, slices=(replace(report.slice_ref, frame=4),)))
    dataset, _ = build_secondary_capture(framed)
    assert dataset.SourceImageSequence[0].ReferencedFrameNumber == 5
    assert "ReferencedFrameNumber" not in build_secondary_capture(report)[0].SourceImageSequence[0]


def test_export_passes_dciodvfy_without_errors(make_report, tmp_path):
    from dicom_validation import dciodvfy_errors

    path = tmp_path / "sc.dcm"
    write_secondary_capture(make_report(), path)
    assert dciodvfy_errors(path) == []
    assert pydicom.dcmread(path).Laterality == ""  # Type 2C: the source states no side
