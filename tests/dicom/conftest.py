"""Builders for small in-memory DICOM files (pydicom ``Dataset`` + ``set_pixel_data``), written to tmp_path."""

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def make_ct(
    *,
    position: tuple[float, float, float] | None = (0.0, 0.0, 0.0),
    orientation: tuple[float, ...] | None = AXIAL,
    series_uid: str = "1.2.3.4",
    instance: int = 1,
    pixels: np.ndarray | None = None,
    size: tuple[int, int] = (8, 8),
    slope: float = 1.0,
    intercept: float = -1024.0,
    acquisition: int | None = None,
    modality: str = "CT",
) -> Dataset:
    """A minimal CT image dataset with geometry, rescale and int16 pixels."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = "1.2.3"
    ds.SeriesInstanceUID = series_uid
    ds.Modality = modality
    ds.SeriesDescription = "test series"
    ds.PatientName = "Test^Patient"
    ds.PatientID = "TEST-1"
    ds.InstanceNumber = instance
    ds.PixelSpacing = [0.5, 0.5]
    ds.SliceThickness = 1.0
    if position is not None:
        ds.ImagePositionPatient = list(position)
    if orientation is not None:
        ds.ImageOrientationPatient = list(orientation)
    if acquisition is not None:
        ds.AcquisitionNumber = acquisition
    ds.RescaleSlope = slope
    ds.RescaleIntercept = intercept
    if pixels is None:
        pixels = np.arange(size[0] * size[1], dtype=np.int16).reshape(size) + instance
    ds.set_pixel_data(pixels, "MONOCHROME2", 16)
    return ds


def write(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_stack(folder: Path, z_positions, **kwargs) -> list[Path]:
    """One file per position along z, instance numbers in the given order."""
    return [
        write(make_ct(position=(0.0, 0.0, z), instance=i + 1, **kwargs), folder / f"slice{i:03d}.dcm")
        for i, z in enumerate(z_positions)
    ]


@pytest.fixture(name="make_ct", scope="session")
def make_ct_fixture():
    """:func:`make_ct`: a minimal CT dataset (keyword arguments set geometry, rescale, pixels)."""
    return make_ct


@pytest.fixture(name="write", scope="session")
def write_fixture():
    """:func:`write`: save a dataset as a DICOM file."""
    return write


@pytest.fixture(name="write_stack", scope="session")
def write_stack_fixture():
    """:func:`write_stack`: one CT file per z position in a folder."""
    return write_stack


@pytest.fixture
def ct_stack(tmp_path) -> Path:
    """A folder of five 1 mm spaced axial slices."""
    write_stack(tmp_path / "stack", [0.0, 1.0, 2.0, 3.0, 4.0])
    return tmp_path / "stack"
