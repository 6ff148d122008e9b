"""A small department archive for the triage tests: real CT series under new UIDs, plus series the triage skips.

Imported as ``triage.archive_factory`` (``tests/`` is on ``sys.path`` through the root ``conftest.py``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pydicom import dcmread

from lungview.bench.archive import copy_series, new_study

#: Slices of each real CT series in the made archive, and the fewest the tests analyse (the "short" series has 3).
SLICES, MIN_SLICES = 6, 5


@dataclass(frozen=True)
class ExpectedSeries:
    """What the triage should record for one series of the made archive."""

    series_uid: str
    status: str
    reason_start: str = ""
    """How the skip reason begins (skipped series only)."""


def instances(folder: Path, first: int, last: int) -> list[Path]:
    """The DICOM files under ``folder`` whose InstanceNumber lies in ``first..last``."""
    found = []
    for path in sorted(folder.rglob("*.dcm")):
        number = int(dcmread(path, stop_before_pixels=True, specific_tags=["InstanceNumber"]).InstanceNumber)
        if first <= number <= last:
            found.append(path)
    return found


def below_the_lungs(shared_dicom: Path, slices: int) -> list[Path]:
    """``slices`` files of the 4D-Lung planning CT below its lungs (upper abdomen: no slice shows lung)."""
    from lungview.dicom import scan_paths

    (series,) = [s for s in scan_paths([shared_dicom / "4d-lung-113_HM10395-40"]).series if s.modality == "CT"]
    return [Path(ref.path) for ref in series.slices[23 : 23 + slices]]  # 0-30 lie below the lung bases


def make_archive(
    root: Path, shared_dicom: Path, sample_series: Path, slices: int = SLICES
) -> dict[str, ExpectedSeries]:
    """Write the archive under ``root``; returns series UID -> what the triage should record."""
    expected: dict[str, ExpectedSeries] = {}

    def add(uid: str, status: str, reason_start: str = "") -> None:
        expected[uid] = ExpectedSeries(uid, status, reason_start)

    lidc = new_study("TRIAGE-P1", "ACC-1", "20240105")
    nodule = instances(shared_dicom / "lidc-idri-0001", 38, 37 + slices)  # the nodule is on instances 39-47
    add(copy_series(nodule, root / "p1" / "ct", lidc), "done")
    scout = [nodule[0]]
    add(
        copy_series(scout, root / "p1" / "scout", lidc, ImageType=["ORIGINAL", "PRIMARY", "LOCALIZER"]),
        "not_evaluable",
        "a localizer",
    )

    mass = new_study("TRIAGE-P3", "ACC-3", "20240311")
    add(copy_series(instances(shared_dicom / "lidc-idri-0003", 60, 59 + slices), root / "p3" / "ct", mass), "done")

    sample = new_study("TRIAGE-P2", "ACC-2", "20230720")
    sample_files = sorted(sample_series.glob("*.dcm"))
    add(copy_series(sample_files[10 : 10 + slices], root / "p2" / "ct", sample), "done")
    add(copy_series(sample_files[12:15], root / "p2" / "short", sample), "not_evaluable", "too few slices")
    coronal = [1, 0, 0, 0, 0, -1]
    add(
        copy_series(sample_files[10 : 10 + slices], root / "p2" / "coronal", sample, ImageOrientationPatient=coronal),
        "not_evaluable",
        "not axial: the slices are coronal",
    )
    abdomen = new_study("TRIAGE-P5", "ACC-5", "20240402")
    add(copy_series(below_the_lungs(shared_dicom, slices), root / "p5" / "ct", abdomen), "not_evaluable", "no lung")
    truncated = root / "p2" / "broken"
    add(copy_series(sample_files[:2], truncated, sample), "skipped", "unreadable")
    for path in truncated.iterdir():
        path.write_bytes(path.read_bytes()[:100_000])  # pixel data cut short

    others = new_study("TRIAGE-P4", "ACC-4", "20220101")
    tests = shared_dicom / "pydicom-test-files"
    for name, modality in (
        ("MR_small.dcm", "MR"),
        ("rtdose.dcm", "RTDOSE"),
        ("test-SR.dcm", "SR"),
        ("liver_1frame.dcm", "SEG"),
    ):
        add(copy_series([tests / name], root / "p4" / modality.lower(), others), "skipped", f"not CT ({modality})")
    (root / "p4" / "notes.txt").write_text("not a DICOM file\n")
    shutil.copy(tests / "MR_truncated.dcm", root / "p4" / "mr_truncated.dcm")
    uid = str(dcmread(tests / "MR_truncated.dcm", stop_before_pixels=True, force=True).SeriesInstanceUID)
    add(uid, "skipped", "not CT (MR)")
    return expected
