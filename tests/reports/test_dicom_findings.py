"""Findings as DICOM SEG and TID 1500 SR: valid for dciodvfy, readable by highdicom, one segment and group each."""

import highdicom as hd
import numpy as np
import pydicom
import pytest
from dicom_validation import dciodvfy_errors
from pydicom.uid import SegmentationStorage

from lungview.detection.lesions import Lesion, LesionSlice, SeriesLesions
from lungview.dicom import scan_paths
from lungview.reports.dicom_findings import seg_path, sr_path, write_dicom_findings
from lungview.reports.dicom_seg import DicomFindingsError

MODEL = {"id": "ct-test-finder", "version": "3.1", "sha256": "0123456789abcdef" * 4}


@pytest.fixture(scope="module")
def series(sample_series_dir):
    return scan_paths([sample_series_dir]).series[0]


def _lesion(series, rank, score, indices, box, masked=False, **measured):
    slices = []
    row0, col0, row1, col1 = box
    for index in indices:
        mask = None
        if masked:
            mask = np.zeros((row1 - row0 + 1, col1 - col0 + 1), bool)
            mask[2:-2, 3:-3] = True
        ref = series.slices[index]
        slices.append(LesionSlice(index, ref.instance_number, ref.sop_instance_uid, box, mask))
    centre = indices[len(indices) // 2]
    return Lesion(rank, score, centre, (row0 + row1) / 2, (col0 + col1) / 2, (1.0, 2.0, 3.0), tuple(slices), **measured)


@pytest.fixture(scope="module")
def lesions(series):
    first = _lesion(series, 1, 0.93, [10, 11, 12, 13], (300, 280, 340, 330), masked=True, long_axis_mm=31.5,
                    short_axis_mm=22.0, volume_ml=9.4, mean_hu=12.0, attenuation="solid", side="left", zone="middle")
    second = _lesion(series, 2, 0.64, [20, 21], (120, 150, 130, 166))  # no mask, no measurements: the box
    faint = _lesion(series, 3, 0.10, [5], (10, 10, 20, 20))  # below the threshold: not a finding
    return SeriesLesions(series.series_uid, MODEL, 0.5, (first, second, faint), (None,) * len(series))


@pytest.fixture(scope="module")
def written(series, lesions, tmp_path_factory):
    return write_dicom_findings(series, lesions, tmp_path_factory.mktemp("dicom-out"))


def test_files_are_named_by_series_uid(written, series):
    assert written.seg == seg_path(written.seg.parent, series.series_uid)
    assert written.seg.name == f"{series.series_uid}_seg.dcm"
    assert written.sr.name == f"{series.series_uid}_sr.dcm"
    assert written.findings == 2


def test_seg_and_sr_pass_dciodvfy(written):
    assert dciodvfy_errors(written.seg) == []
    assert dciodvfy_errors(written.sr) == []


def test_seg_reads_back_with_one_segment_per_finding(written, series, lesions):
    seg = hd.seg.segread(written.seg)
    assert seg.SOPClassUID == SegmentationStorage and seg.SegmentationType == "BINARY"
    assert seg.number_of_segments == len(lesions.findings) == 2
    first = seg.get_segment_description(1)
    assert first.segmented_property_type.value == "52988006"  # lesion
    assert first.tracking_id == "LungView finding 1" and "0.93" in first.segment_label
    algorithm = first.algorithm_identification[0]
    assert algorithm.AlgorithmName == MODEL["id"] and algorithm.AlgorithmVersion == MODEL["version"]
    source_uids = {sop for _, _, sop in seg.get_source_image_uids()}
    assert source_uids == {series.slices[i].sop_instance_uid for i in (10, 11, 12, 13, 20, 21)}
    assert seg.StudyInstanceUID == series.study_uid
    # The masked finding keeps its mask (not the box); the unmasked one is its box.
    volume = seg.get_pixels_by_source_instance(
        [series.slices[12].sop_instance_uid, series.slices[20].sop_instance_uid], segment_numbers=[1, 2]
    )
    assert volume[0, :, :, 0].sum() == (41 - 4) * (51 - 6)
    assert volume[1, :, :, 1].sum() == 11 * 17
    assert not volume[0, 300, 280, 0] and volume[0, 320, 300, 0]


def test_sr_has_one_measurement_group_per_finding_referencing_its_segment(written, series):
    seg = pydicom.dcmread(written.seg)
    report = hd.sr.srread(written.sr)
    assert isinstance(report, hd.sr.Comprehensive3DSR)
    groups = report.content.get_volumetric_roi_measurement_groups()
    assert len(groups) == 2
    descriptions = {item.SegmentNumber: item.TrackingUID for item in seg.SegmentSequence}
    first, second = groups
    assert str(first.tracking_uid) == descriptions[1] and str(second.tracking_uid) == descriptions[2]
    segment = first.referenced_segment
    assert segment.referenced_segment_numbers == [1]
    assert segment.referenced_sop_instance_uid == seg.SOPInstanceUID
    assert len(segment.source_images_for_segmentation) == 4
    measured = {m.name.meaning: (m.value, m.unit.value) for m in first.get_measurements()}
    assert measured["Long axis"] == (31.5, "mm") and measured["Short axis"] == (22.0, "mm")
    assert measured["Volume"] == (9.4, "ml") and measured["Attenuation Coefficient"] == (12.0, "[hnsf'U]")
    assert measured["Probability"] == (0.93, "1")
    assert {m.name.meaning for m in second.get_measurements()} == {"Probability"}  # the rest is unknown: left out
    (site,) = first.finding_sites
    assert site.value.meaning == "Middle zone of lung" and site.laterality.meaning == "Left"
    assert second.finding_sites[0].value.value == "39607008"  # lung: the zone is unknown
    assert second.finding_sites[0].laterality is None
    uids = {ref.sop_instance_uid for ref in series.slices}
    evidence = {
        item.ReferencedSOPInstanceUID
        for study in report.CurrentRequestedProcedureEvidenceSequence
        for series_item in study.ReferencedSeriesSequence
        for item in series_item.ReferencedSOPSequence
    }
    assert evidence - {seg.SOPInstanceUID} <= uids


def test_a_series_without_findings_gets_an_sr_saying_so_and_no_seg(series, tmp_path):
    nothing = SeriesLesions(series.series_uid, MODEL, 0.5, (), (None,) * len(series))
    written = write_dicom_findings(series, nothing, tmp_path)
    assert written.seg is None and not seg_path(tmp_path, series.series_uid).exists()
    assert written.sr == sr_path(tmp_path, series.series_uid)
    report = hd.sr.srread(written.sr)
    assert report.content.get_volumetric_roi_measurement_groups() == []
    (group,) = report.content.get_image_measurement_groups()
    assert group.finding_type.meaning == "No abnormality detected"
    assert dciodvfy_errors(written.sr) == []


def test_findings_of_another_series_are_refused(series, lesions, tmp_path):
    other = SeriesLesions("1.2.3.4", MODEL, 0.5, lesions.candidates, lesions.slice_scores)
    with pytest.raises(DicomFindingsError, match="another series"):
        write_dicom_findings(series, other, tmp_path)


def test_a_series_the_model_could_not_read_gets_no_sr_saying_nothing_was_found(series, tmp_path):
    unread = SeriesLesions(series.series_uid, MODEL, 0.5, (), (None,) * len(series), not_evaluable="no lung")
    with pytest.raises(DicomFindingsError, match="could not be evaluated"):
        write_dicom_findings(series, unread, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_each_stack_of_one_series_uid_gets_its_own_files(series, lesions, tmp_path):
    from dataclasses import replace

    second = replace(series, stack=2)
    written = write_dicom_findings(second, lesions, tmp_path)
    assert written.seg.name == f"{series.series_uid}_stack2_seg.dcm"
    assert written.sr.name == f"{series.series_uid}_stack2_sr.dcm"
