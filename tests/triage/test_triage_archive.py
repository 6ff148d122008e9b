"""Discovery of an archive's series (headers only), their studies, and what the triage skips and why."""

import pytest
from triage.archive_factory import MIN_SLICES

from lungview.bench.archive import copy_series, new_study
from lungview.dicom import scan_paths
from lungview.triage.archive import discover
from lungview.triage.eligibility import not_evaluable_reason, skip_reason

pytestmark = pytest.mark.shared_data


def test_every_series_is_found_once_with_its_skip_reason(archive):
    root, expected = archive

    found = discover([root])

    assert sorted(entry.key for entry in found.series) == sorted(expected)
    for entry in found.series:
        reason = skip_reason(entry, MIN_SLICES) or not_evaluable_reason(entry, MIN_SLICES) or ""
        want = expected[entry.key]
        if want.reason_start != "no lung":  # found by the analysis, from the pixels
            assert reason.startswith(want.reason_start) and (want.status == "done") == (reason == ""), reason
    assert [f.reason for f in found.unusable_files] == ["not a DICOM file"]


def test_series_are_grouped_into_studies_with_their_header_fields(archive):
    found = discover([archive[0]])

    patients = {study.study_uid: {entry.fields.patient_id for entry in study.series} for study in found.studies}
    assert len(found.studies) == len(patients) == 6  # five made studies and the truncated MR's own
    assert all(len(ids) == 1 for ids in patients.values())
    lidc = next(entry for entry in found.series if entry.fields.patient_id == "TRIAGE-P1" and entry.slice_count > 1)
    assert (lidc.fields.accession_number, lidc.fields.study_date, lidc.folder) == (
        "ACC-1",
        "20240105",
        str(archive[0] / "p1" / "ct"),
    )


def test_stacks_of_one_series_uid_get_keys_of_their_own(tmp_path, sample_series_dir):
    files = sorted(sample_series_dir.glob("*.dcm"))
    study, uid = new_study("P", "A", "20200101"), "1.2.826.0.1.3680043.8.498.1"
    copy_series(files[:2], tmp_path / "axial", study, SeriesInstanceUID=uid)
    copy_series(
        files[2:4], tmp_path / "coronal", study, SeriesInstanceUID=uid, ImageOrientationPatient=[1, 0, 0, 0, 0, -1]
    )

    keys = [entry.key for entry in discover([tmp_path]).series]

    assert keys == [f"{uid}#1", f"{uid}#2"]


def test_a_dicomdir_root_gives_the_series_it_lists(shared_data):
    dicomdir = shared_data / "dicom" / "pydicom-test-files" / "dicomdirtests" / "DICOMDIR"

    found = discover([dicomdir])

    assert len(found.series) == len(scan_paths([dicomdir]).series) > 1
    assert len({entry.key for entry in found.series}) == len(found.series)
