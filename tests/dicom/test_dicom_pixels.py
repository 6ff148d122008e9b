"""read_slice: HU through the modality LUT (equal to pydicom's), grey for images without HU, clear errors."""

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut

from lungview.dicom import DecodeError, read_slice, scan_paths
from lungview.dicom.errors import unsupported_transfer_syntax


def _series(folder):
    return scan_paths([folder]).series[0]


def test_sample_hu_equals_pydicom_modality_lut(sample_series_dir):
    series = _series(sample_series_dir)
    for index in (0, 17):
        ds = pydicom.dcmread(series.slices[index].path)

        hu = read_slice(series, index)

        assert hu.dtype == np.float32 and hu.shape == (512, 512)
        np.testing.assert_array_equal(hu, apply_modality_lut(ds.pixel_array, ds).astype(np.float32))


def test_fractional_rescale_equals_pydicom(tmp_path, make_ct, write):
    pixels = np.array([[-5, 0, 7, 4095]] * 4, dtype=np.int16)
    path = write(make_ct(pixels=pixels, slope=0.37, intercept=-1000.5), tmp_path / "a.dcm")

    hu = read_slice(_series(tmp_path), 0)

    ds = pydicom.dcmread(path)
    np.testing.assert_array_equal(hu, apply_modality_lut(ds.pixel_array, ds).astype(np.float32))


def test_modality_lut_sequence_is_applied(tmp_path, make_ct, write):
    ds = make_ct(pixels=np.array([[0, 1, 2, 3]] * 2, dtype=np.int16))
    del ds.RescaleSlope, ds.RescaleIntercept
    item = Dataset()
    item.add_new("LUTDescriptor", "US", [4, 0, 16])
    item.ModalityLUTType = "HU"
    item.add_new("LUTData", "US", [10, 20, 30, 40])
    ds.ModalityLUTSequence = [item]
    path = write(ds, tmp_path / "lut.dcm")
    series = _series(tmp_path)

    hu = read_slice(series, 0)

    assert series.has_hu
    np.testing.assert_array_equal(hu[0], [10, 20, 30, 40])
    saved = pydicom.dcmread(path)
    np.testing.assert_array_equal(hu, apply_modality_lut(saved.pixel_array, saved).astype(np.float32))


def test_non_ct_is_grey_0_to_255(tmp_path, make_ct, write):
    write(make_ct(modality="MR", pixels=np.array([[100, 300], [200, 500]], dtype=np.int16)), tmp_path / "mr.dcm")
    series = _series(tmp_path)

    grey = read_slice(series, 0)

    assert not series.has_hu
    np.testing.assert_allclose(grey, [[0, 127.5], [63.75, 255]])


def test_file_damaged_after_scan_raises_decode_error(tmp_path, make_ct, write):
    path = write(make_ct(), tmp_path / "a.dcm")
    series = _series(tmp_path)
    path.write_bytes(path.read_bytes()[:-40])

    with pytest.raises(DecodeError, match="truncated or corrupt"):
        read_slice(series, 0)


def test_file_removed_after_scan_raises_decode_error(tmp_path, make_ct, write):
    path = write(make_ct(), tmp_path / "a.dcm")
    series = _series(tmp_path)
    path.unlink()

    with pytest.raises(DecodeError, match="no longer there"):
        read_slice(series, 0)


def test_missing_decoder_names_what_to_install(monkeypatch):
    class UnavailableDecoder:
        is_available = False

    monkeypatch.setattr("pydicom.pixels.get_decoder", lambda uid: UnavailableDecoder())

    reason = unsupported_transfer_syntax("1.2.840.10008.1.2.4.80")

    assert reason == (
        "transfer syntax JPEG-LS Lossless Image Compression is not supported: "
        "install pylibjpeg and pylibjpeg-libjpeg"
    )


def test_unknown_transfer_syntax_is_not_supported():
    assert "is not supported" in unsupported_transfer_syntax("1.2.840.10008.1.2.4.100")  # MPEG2 video


def test_out_receives_the_slice(sample_series_dir):
    series = _series(sample_series_dir)
    out = np.empty((series.rows, series.columns), dtype=np.float32)

    result = read_slice(series, 3, out=out)

    assert result is out
    np.testing.assert_array_equal(out, read_slice(series, 3))
