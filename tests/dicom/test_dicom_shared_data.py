"""The engine on every file of ../shared/data/dicom (skipped, with the reason shown, when it is absent)."""

import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from lungview.dicom import DecodeError, read_slice, scan_paths
from lungview.dicom.pixels import PADDING_HU

pytestmark = pytest.mark.shared_data

LOSSLESS_CT1 = ["CT1_UNC", "CT1_RLE", "CT1_JPLL", "CT1_JLSL", "CT1_J2KR"]


@pytest.fixture(scope="module")
def dicom_dir(shared_data) -> Path:
    return shared_data / "dicom"


@pytest.fixture(scope="module")
def everything(dicom_dir):
    return scan_paths([dicom_dir])


def _all_files(folder: Path) -> set[str]:
    return {
        str(Path(root) / name)
        for root, dirs, names in os.walk(folder)
        for name in names
        if not name.startswith(".")
    }


def test_every_file_is_loaded_or_skipped_with_a_reason(dicom_dir, everything):
    loaded = {ref.path for series in everything.series for ref in series.slices}
    skipped = {s.path: s.reason for s in everything.skipped}

    assert loaded | set(skipped) == _all_files(dicom_dir)
    assert not loaded & set(skipped)
    assert all(reason.strip() for reason in skipped.values())


def test_every_loaded_slice_decodes_or_raises_decode_error(everything):
    failures = {}
    for series in everything.series:
        # The long real series are uniform: every 8th slice and the last one stand for the rest.
        step = 8 if len(series) > 60 else 1
        indices = sorted({*range(0, len(series), step), len(series) - 1})
        for index in indices:
            ref = series.slices[index]
            try:
                image = read_slice(series, index)
            except DecodeError as error:
                failures[Path(ref.path).name] = error.reason
                continue
            assert image.dtype == np.float32 and image.shape == (series.rows, series.columns)
            assert np.isfinite(image).all()
    # Only the two files pydicom's own notes call broken fail, each with a plain reason.
    assert set(failures) == {"JPEG2000-embedded-sequence-delimiter.dcm", "JPEG-lossy.dcm"}
    assert all("corrupt" in reason for reason in failures.values())


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("pydicom-test-files/test-SR.dcm", "not an image (Comprehensive SR)"),
        ("pydicom-test-files/rtstruct.dcm", "not an image (RT Structure Set)"),
        ("pydicom-test-files/rtplan.dcm", "not an image (RT Plan)"),
        ("pydicom-test-files/waveform_ecg.dcm", "not an image (12-lead ECG Waveform)"),
        ("pydicom-test-files/README.txt", "not a DICOM file"),
        ("pydicom-test-files/MR_truncated.dcm", "the pixel data is truncated (8130 of 8192 bytes)"),
        ("pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm", "the compressed pixel data is truncated"),
        ("pydicom-test-files/badVR.dcm", "the Number of Frames tag is invalid"),
    ],
)
def test_unusable_files_have_plain_reasons(dicom_dir, name, reason):
    result = scan_paths([dicom_dir / name])

    assert result.series == ()
    assert result.skipped[0].reason.startswith(reason)


@pytest.mark.parametrize("name", LOSSLESS_CT1)
def test_nema_lossless_encodings_give_identical_hu(dicom_dir, name):
    reference_path = dicom_dir / "nema-wg04-ct1" / "CT1_UNC"
    reference = pydicom.dcmread(reference_path)
    expected = apply_modality_lut(reference.pixel_array, reference).astype(np.float32)
    expected[reference.pixel_array == reference.PixelPaddingValue] = PADDING_HU  # outside the field of view
    series = scan_paths([dicom_dir / "nema-wg04-ct1" / name]).series[0]

    hu = read_slice(series, 0)

    assert series.has_hu
    np.testing.assert_array_equal(hu, expected)


def test_padding_outside_the_scan_circle_reads_as_air(dicom_dir):
    folder = dicom_dir / "lidc-idri-0002"
    series = scan_paths([folder]).series[0]
    stored = pydicom.dcmread(series.slices[0].path).pixel_array

    hu = read_slice(series, 0)

    padded = stored == -2000
    assert padded.sum() > 50_000
    assert np.all(hu[padded] == PADDING_HU)
    assert hu.min() == PADDING_HU


def test_enhanced_multiframe_ct_loads_as_a_series(dicom_dir):
    path = dicom_dir / "pydicom-data" / "eCT_Supplemental.dcm"
    series = scan_paths([path]).series[0]
    ds = pydicom.dcmread(path)
    rescale = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]

    assert (len(series), series.has_hu, series.modality) == (2, True, "CT")
    assert sorted(ref.frame for ref in series.slices) == [0, 1]
    assert series.slices[0].z < series.slices[1].z and series.spacing[0] == 10.0
    for index, ref in enumerate(series.slices):
        expected = apply_modality_lut(ds.pixel_array[ref.frame], rescale).astype(np.float32)
        np.testing.assert_array_equal(read_slice(series, index), expected)


def test_dicomdir_records_are_followed(dicom_dir):
    result = scan_paths([dicom_dir / "pydicom-test-files" / "dicomdirtests" / "DICOMDIR"])

    assert sum(len(series) for series in result.series) == 31
    assert result.skipped == ()


def test_header_only_images_are_skipped(dicom_dir):
    result = scan_paths([dicom_dir / "pydicom-test-files" / "dicomdirtests" / "TINY_ALPHA" / "DICOMDIR"])

    assert result.series == () and len(result.skipped) == 50
    reasons = {s.reason for s in result.skipped}
    assert reasons == {"no pixel data: the file holds only the header of an image (CT Image)"}


@pytest.mark.parametrize(
    ("folder", "count"), [("lung-pet-ct-dx-A0001", 64), ("lidc-idri-0001", 133), ("lidc-idri-0003", 140)]
)
def test_real_series_load_whole_without_warnings(dicom_dir, folder, count):
    result = scan_paths([dicom_dir / folder])

    assert [len(series) for series in result.series] == [count]
    series = result.series[0]
    assert series.has_hu and series.warnings == () and series.spacing is not None
