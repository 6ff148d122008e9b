"""scan_paths on the bundled real series and on small files written in tmp_path."""

import random
import shutil

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from lungview.dicom import read_slice, scan_paths


def test_sample_series_loads_as_one_sorted_ct_series(sample_series_dir):
    result = scan_paths([sample_series_dir])

    assert len(result.series) == 1
    series = result.series[0]
    assert (series.modality, len(series), series.rows, series.columns) == ("CT", 30, 512, 512)
    assert series.has_hu and series.warnings == ()
    z = [ref.z for ref in series.slices]
    assert z == sorted(z) and len(set(z)) == 30
    assert series.spacing[0] == 5.0 and series.stored_window is not None
    assert series.patient.patient_id != ""
    assert {s.reason for s in result.skipped} == {"not a DICOM file"}


def test_shuffled_renamed_copy_loads_in_the_same_geometric_order(sample_series_dir, tmp_path):
    original = scan_paths([sample_series_dir]).series[0]
    files = sorted(sample_series_dir.glob("*.dcm"))
    names = [f"img{n:04d}" for n in range(len(files))]
    random.Random(7).shuffle(names)
    for source, name in zip(files, names):
        shutil.copy(source, tmp_path / name)

    copy = scan_paths([tmp_path]).series[0]

    assert [r.sop_instance_uid for r in copy.slices] == [r.sop_instance_uid for r in original.slices]
    assert [r.z for r in copy.slices] == [r.z for r in original.slices]


def test_order_comes_from_positions_not_instance_numbers_or_names(tmp_path, write_stack):
    write_stack(tmp_path, [3.0, 1.0, 4.0, 0.0, 2.0])

    series = scan_paths([tmp_path]).series[0]

    assert [r.z for r in series.slices] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert [r.instance_number for r in series.slices] == [4, 2, 5, 1, 3]


def test_non_dicom_and_truncated_files_are_skipped_with_reasons(ct_stack, sample_series_dir):
    (ct_stack / "notes.txt").write_text("not an image")
    data = (sample_series_dir / "1-10.dcm").read_bytes()
    (ct_stack / "cut.dcm").write_bytes(data[: len(data) // 2])

    result = scan_paths([ct_stack])

    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in result.skipped}
    assert reasons["notes.txt"] == "not a DICOM file"
    assert "truncated" in reasons["cut.dcm"]
    assert len(result.series) == 1 and len(result.series[0]) == 5


def test_missing_path_is_reported(tmp_path):
    result = scan_paths([tmp_path / "nowhere"])

    assert result.series == () and result.skipped[0].reason == "no such file or folder"


def test_empty_folder_is_reported(tmp_path):
    (tmp_path / ".hidden").write_text("ignored")
    result = scan_paths([tmp_path])
    assert result.series == ()
    assert [(s.path, s.reason) for s in result.skipped] == [
        (str(tmp_path), "the folder holds no files (hidden files are ignored)")
    ]


def test_structured_report_is_not_an_image(tmp_path, write):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "SR"
    write(ds, tmp_path / "report.dcm")

    assert scan_paths([tmp_path]).skipped[0].reason == "not an image (Basic Text SR)"


def test_second_copy_of_an_image_is_skipped_as_duplicate(tmp_path, make_ct, write):
    ds = make_ct()
    write(ds, tmp_path / "a.dcm")
    write(ds, tmp_path / "b.dcm")

    result = scan_paths([tmp_path])

    assert len(result.series[0]) == 1
    assert "duplicate" in result.skipped[0].reason


def test_png_folder_opens_without_hu(tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    for n in (1, 2, 10):
        Image.fromarray(np.full((6, 4), n * 20, dtype=np.uint8)).save(folder / f"{n}.png")
    Image.fromarray(np.tile(np.array([255, 0, 0], dtype=np.uint8), (6, 4, 1))).save(folder / "11.jpg")

    series = scan_paths([folder]).series[0]

    assert (series.modality, series.has_hu, series.description) == ("OT", False, "pictures")
    assert [r.path.rsplit("/", 1)[-1] for r in series.slices] == ["1.png", "2.png", "10.png", "11.jpg"]
    assert [r.z for r in series.slices] == [0.0, 1.0, 2.0, 3.0]
    assert all(r.sop_instance_uid == "" for r in series.slices)
    grey = read_slice(series, 2)
    assert grey.dtype == np.float32 and grey.shape == (6, 4) and float(grey.max()) == 200.0
    red = read_slice(series, 3)
    assert 70 < float(red.mean()) < 80  # ITU-R 601 luma of pure red is 76


def test_progress_reports_every_file_and_cancel_stops(ct_stack):
    calls = []
    scan_paths([ct_stack], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, 5) for n in range(1, 6)]

    result = scan_paths([ct_stack], cancelled=lambda: True)
    assert result.series == ()



def test_pictures_of_different_sizes_form_one_series_per_size(tmp_path):
    for name, shape in [("a.png", (4, 4)), ("b.png", (4, 4)), ("c.png", (8, 6))]:
        Image.fromarray(np.zeros(shape, dtype=np.uint8)).save(tmp_path / name)

    series = scan_paths([tmp_path]).series

    assert sorted((len(s), s.rows, s.columns) for s in series) == [(1, 8, 6), (2, 4, 4)]
    assert all(s.description.endswith(f"({s.rows}×{s.columns})") and s.warnings for s in series)
