"""Annotation fixtures: the real QIN (CT + 3 SEG) and 4D-Lung (CT + RTSTRUCT) folders, and broken copies of them."""

import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

QIN = "dicom/qin-lung-ct-QIN-LSC-0028"
LUNG_4D = "dicom/4d-lung-113_HM10395-40"


@pytest.fixture(scope="session")
def qin_dir(shared_data) -> Path:
    return shared_data / QIN


@pytest.fixture(scope="session")
def lung_4d_dir(shared_data) -> Path:
    return shared_data / LUNG_4D


def seg_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.dcm") if "segmentation result" in str(path))


def _ct_copy(source: Path, target: Path, keep) -> None:
    for path in source.rglob("*.dcm"):
        if keep(path):
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, destination)


@pytest.fixture(scope="session")
def broken_qin(qin_dir, tmp_path_factory) -> Path:
    """The QIN CT with three broken SEGs: one that matches no image, one truncated, one valid (alg01)."""
    folder = tmp_path_factory.mktemp("broken-qin")
    _ct_copy(qin_dir, folder, lambda path: "segmentation result" not in str(path) or "alg01" in str(path))
    first, second = seg_files(qin_dir)[1:3]
    elsewhere = pydicom.dcmread(first)
    for item in elsewhere.PerFrameFunctionalGroupsSequence:
        position = item.PlanePositionSequence[0].ImagePositionPatient
        position[2] = float(position[2]) + 5000.0  # far above the patient: no slice there
    elsewhere.SOPInstanceUID = generate_uid()
    elsewhere.SeriesDescription = "moved away"
    elsewhere.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    elsewhere.save_as(folder / "moved.dcm")
    truncated = pydicom.dcmread(second)
    truncated.SeriesDescription = "cut short"
    truncated.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    truncated.save_as(folder / "cut.dcm")
    data = (folder / "cut.dcm").read_bytes()
    (folder / "cut.dcm").write_bytes(data[: len(data) - 2 * len(data) // 5])
    return folder


@pytest.fixture(scope="session")
def other_frame_rtstruct(lung_4d_dir, tmp_path_factory) -> Path:
    """The 4D-Lung CT with its RTSTRUCT moved into another frame of reference."""
    folder = tmp_path_factory.mktemp("other-frame")
    _ct_copy(lung_4d_dir, folder, lambda path: True)
    (rtstruct,) = [path for path in folder.rglob("*.dcm") if "47.35" in str(path)]
    ds = pydicom.dcmread(rtstruct)
    for item in ds.ReferencedFrameOfReferenceSequence:
        item.FrameOfReferenceUID = generate_uid()
    ds.save_as(rtstruct)
    return folder
