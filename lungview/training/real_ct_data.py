"""Real annotated CT series: a folder with ``TRUTH.csv`` read into HU slices, tumour flags and boxes.

``TRUTH.csv`` has one row per slice: ``instance_number, z_mm, has_tumour, xmin, ymin, xmax, ymax, slice_file``
(boxes in pixel index coordinates of the slice, inclusive; ``slice_file`` relative to the folder). Slices are
decoded by the app's own DICOM engine (:func:`lungview.dicom.read_slice`), so training sees exactly what the
viewer shows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRUTH_FILE = "TRUTH.csv"

#: Attribution by collection, matched on the start of the folder name (see each folder's SOURCE.md).
COLLECTIONS: dict[str, dict[str, str]] = {
    "lung-pet-ct-dx": {
        "collection": "Lung-PET-CT-Dx (TCIA)",
        "licence": "CC BY 4.0 + TCIA Data Usage Policy",
        "citation": "Li P, Wang S, Li T, Lu J, HuangFu Y, Wang D (2020). A Large-Scale CT and PET/CT Dataset for Lung "
        "Cancer Diagnosis (Lung-PET-CT-Dx). The Cancer Imaging Archive. https://doi.org/10.7937/TCIA.2020.NNC20461",
    },
    "lidc-idri": {
        "collection": "LIDC-IDRI (TCIA)",
        "licence": "CC BY 3.0 + TCIA Data Usage Policy",
        "citation": "Armato SG III et al. (2015). Data From LIDC-IDRI. The Cancer Imaging Archive. "
        "https://doi.org/10.7937/K9/TCIA.2015.LO9QL9SX; Armato SG III et al., Medical Physics 38(2):915-931, 2011; "
        "Clark K et al., J Digit Imaging 26(6):1045-1057, 2013",
    },
}

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class TruthSeries:
    """One annotated series: HU slices in TRUTH.csv order, per-slice tumour flags, boxes (None without tumour) and
    DICOM pixel spacings (row, column mm; None when the header has none)."""

    name: str
    images: tuple[np.ndarray, ...]
    has_tumour: tuple[bool, ...]
    boxes: tuple[Box | None, ...]
    spacings: tuple[tuple[float, float] | None, ...]
    slice_mm: float | None = None
    """The series' slice spacing (mm), None where unknown."""

    @property
    def tumour_count(self) -> int:
        return sum(self.has_tumour)


def attribution(folder_name: str) -> dict[str, str]:
    """Collection, licence and citation for a shared-data folder; a pointer to its SOURCE.md when unknown."""
    for prefix, source in COLLECTIONS.items():
        if folder_name.lower().startswith(prefix):
            return source
    return {
        "collection": folder_name,
        "licence": "see the folder's SOURCE.md",
        "citation": "see the folder's SOURCE.md",
    }


def find_truth_folders(root: Path) -> list[Path]:
    """``root`` itself when it holds a TRUTH.csv, else its sub-folders that do, sorted by name."""
    root = Path(root)
    if (root / TRUTH_FILE).is_file():
        return [root]
    if not root.is_dir():
        raise ValueError(f"no folder at {root}")
    return sorted(folder for folder in root.iterdir() if (folder / TRUTH_FILE).is_file())


def _box(row: dict[str, str]) -> Box | None:
    if row["has_tumour"].strip().lower() != "yes":
        return None
    try:
        return tuple(int(float(row[key])) for key in ("xmin", "ymin", "xmax", "ymax"))  # type: ignore[return-value]
    except (KeyError, ValueError):
        raise ValueError(f"a tumour row of {TRUTH_FILE} has no box (instance {row.get('instance_number')})") from None


def read_truth_series(folder: Path) -> TruthSeries:
    """Decode every slice listed in ``folder/TRUTH.csv`` to HU with its tumour flag and box.

    Raises
    ------
    ValueError
        When TRUTH.csv is missing or malformed, a listed slice is not a HU CT slice of the folder, or cannot be decoded.
    """
    from lungview.dicom import DecodeError, read_slice, scan_paths

    folder = Path(folder)
    try:
        with open(folder / TRUTH_FILE, newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
    except OSError as error:
        raise ValueError(f"cannot read {TRUTH_FILE} in {folder} ({error.strerror})") from None
    if not rows or "slice_file" not in rows[0] or "has_tumour" not in rows[0]:
        raise ValueError(f"{TRUTH_FILE} in {folder} has no rows or lacks the slice_file/has_tumour columns")
    where = {}
    for series in scan_paths([folder]).series:
        for index, ref in enumerate(series.slices):
            where[Path(ref.path).resolve()] = (series, index)
    images, flags, boxes, spacings, steps = [], [], [], [], []
    for row in rows:
        located = where.get((folder / row["slice_file"]).resolve())
        if located is None:
            raise ValueError(f"{row['slice_file']} listed in {TRUTH_FILE} is not a readable image in {folder}")
        series, index = located
        if not series.has_hu:
            raise ValueError(f"{row['slice_file']} has no Hounsfield units; the tumour-slice model needs CT")
        try:
            images.append(read_slice(series, index))
        except DecodeError as error:
            raise ValueError(f"{row['slice_file']} cannot be decoded: {error}") from None
        boxes.append(_box(row))
        flags.append(boxes[-1] is not None)
        spacings.append(series.slices[index].pixel_spacing)
        steps.append(series.spacing[0] if series.spacing else None)
    slice_mm = next((step for step in steps if step), None)
    return TruthSeries(folder.name, tuple(images), tuple(flags), tuple(boxes), tuple(spacings), slice_mm)
