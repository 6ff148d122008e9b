"""Annotated real CT series as voxel masks: one HU volume and one tumour mask per patient folder.

Each folder of ``../shared/data/dicom`` with a ``TRUTH.csv`` holds one CT series and its annotation in one of four
forms, all turned into a boolean mask on the CT's voxel grid:

- DICOM SEG objects beside the CT (QIN LUNG CT: algorithm results): the union of every segment of every SEG, each
  frame placed by its ImagePositionPatient on the nearest CT slice.
- An RTSTRUCT (4D-Lung): the contours of the ROIs that ``NODULES.csv`` marks ``kind=tumour``, filled.
- LIDC-IDRI reader XML: every reader's inclusion contours of the nodules, filled, kept on the slices TRUTH.csv marks
  as tumour (nodules of 3 mm or more).
- Boxes only (Lung-PET-CT-Dx): the soft tissue (> -400 HU) inside each TRUTH.csv box, its largest connected part.
  This mask is made here from HU and is cruder than an outline.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pydicom
from scipy import ndimage

from lungview.dicom import read_slice, scan_paths
from lungview.volume import Series

TRUTH_FILE = "TRUTH.csv"
#: A SEG frame or contour lies on a CT slice when their positions differ by less than this (mm).
SLICE_TOLERANCE_MM = 0.6
#: Soft tissue inside a box-only annotation (HU).
BOX_TISSUE_HU = -400.0


@dataclass(frozen=True)
class AnnotatedSeries:
    """One patient's CT series (geometric order), its HU volume ``[z, rows, columns]`` and tumour mask."""

    name: str
    series: Series
    hu: np.ndarray
    mask: np.ndarray
    source: str
    """Where the mask comes from: ``"seg"``, ``"rtstruct"``, ``"lidc-xml"`` or ``"box-hu"``."""

    @property
    def slice_mm(self) -> float:
        return float(self.series.spacing[0]) if self.series.spacing else 2.5

    @property
    def pixel_mm(self) -> tuple[float, float]:
        return (float(self.series.spacing[1]), float(self.series.spacing[2])) if self.series.spacing else (0.7, 0.7)

    @property
    def tumour_slices(self) -> np.ndarray:
        return self.mask.any(axis=(1, 2))


def read_truth_rows(folder: Path) -> list[dict[str, str]]:
    """The rows of ``folder/TRUTH.csv``."""
    with open(Path(folder) / TRUTH_FILE, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def ct_series(folder: Path) -> Series:
    """The CT series of an annotated folder (the largest HU series)."""
    candidates = [s for s in scan_paths([folder]).series if s.has_hu and s.modality == "CT"]
    if not candidates:
        raise ValueError(f"no CT series in {folder}")
    return max(candidates, key=len)


def slice_positions(series: Series) -> np.ndarray:
    """Each slice's position along the slice normal (mm), in series order."""
    return np.array([ref.z for ref in series.slices], np.float64)


def nearest_slice(series: Series, z: float) -> int | None:
    """The slice whose position is within :data:`SLICE_TOLERANCE_MM` of ``z``, or None."""
    distances = np.abs(slice_positions(series) - z)
    index = int(np.argmin(distances))
    return index if distances[index] <= SLICE_TOLERANCE_MM else None


def patient_to_pixel(series: Series, points_mm: np.ndarray) -> np.ndarray:
    """(column, row) pixel coordinates on the slice plane of patient points ``[n, 3]`` (DICOM LPS, mm)."""
    row_direction = np.asarray(series.orientation[:3])
    column_direction = np.asarray(series.orientation[3:6])
    origin = np.asarray(series.slices[0].position)
    row_mm, column_mm = series.slices[0].pixel_spacing
    offsets = points_mm - origin
    return np.stack([offsets @ row_direction / column_mm, offsets @ column_direction / row_mm], axis=1)


def normal_position(series: Series, points_mm: np.ndarray) -> np.ndarray:
    """Position of patient points along the slice normal (the same measure as ``SliceRef.z``)."""
    normal = np.cross(np.asarray(series.orientation[:3]), np.asarray(series.orientation[3:6]))
    return points_mm @ normal


def fill_polygon(mask: np.ndarray, columns_rows: np.ndarray, value: bool = True) -> None:
    """Fill a closed polygon given as (column, row) pixel points into ``mask`` in place."""
    points = np.round(columns_rows).astype(np.int32).reshape(-1, 1, 2)
    plane = mask.view(np.uint8)
    cv2.fillPoly(plane, [points], 1 if value else 0)
    cv2.polylines(plane, [points], True, 1 if value else 0)


def seg_mask(series: Series, seg_paths: list[Path]) -> np.ndarray:
    """Union of every segment of the SEG objects, on the CT grid."""
    mask = np.zeros((len(series), series.rows, series.columns), bool)
    for path in seg_paths:
        dataset = pydicom.dcmread(path)
        frames = dataset.pixel_array.reshape(-1, dataset.Rows, dataset.Columns).astype(bool)
        for frame, group in zip(frames, dataset.PerFrameFunctionalGroupsSequence):
            position = np.array([float(v) for v in group.PlanePositionSequence[0].ImagePositionPatient])
            index = nearest_slice(series, float(normal_position(series, position[None])[0]))
            if index is not None and frame.shape == mask.shape[1:]:
                mask[index] |= frame
    return mask


def rtstruct_mask(series: Series, path: Path, roi_names: set[str]) -> np.ndarray:
    """The filled contours of the ROIs named ``roi_names`` in an RTSTRUCT, on the CT grid."""
    dataset = pydicom.dcmread(path)
    numbers = {roi.ROINumber for roi in dataset.StructureSetROISequence if roi.ROIName in roi_names}
    mask = np.zeros((len(series), series.rows, series.columns), bool)
    for roi in dataset.ROIContourSequence:
        if roi.ReferencedROINumber not in numbers:
            continue
        for contour in getattr(roi, "ContourSequence", []):
            points = np.array([float(v) for v in contour.ContourData]).reshape(-1, 3)
            index = nearest_slice(series, float(np.median(normal_position(series, points))))
            if index is not None:
                fill_polygon(mask[index], patient_to_pixel(series, points))
    return mask


def lidc_mask(series: Series, xml_paths: list[Path], tumour_slices: np.ndarray) -> np.ndarray:
    """Every LIDC reader's inclusion contours (exclusions cut out), kept on ``tumour_slices``."""
    by_uid = {ref.sop_instance_uid: index for index, ref in enumerate(series.slices)}
    mask = np.zeros((len(series), series.rows, series.columns), bool)
    holes = np.zeros_like(mask)
    for path in xml_paths:
        root = ElementTree.parse(path).getroot()
        namespace = {"n": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {"n": ""}
        for roi in root.iterfind(".//n:unblindedReadNodule/n:roi", namespace):
            index = by_uid.get((roi.findtext("n:imageSOP_UID", "", namespace) or "").strip())
            points = [
                (float(edge.findtext("n:xCoord", "0", namespace)), float(edge.findtext("n:yCoord", "0", namespace)))
                for edge in roi.iterfind("n:edgeMap", namespace)
            ]
            if index is None or len(points) < 3:
                continue
            inclusion = (roi.findtext("n:inclusion", "TRUE", namespace) or "TRUE").strip().upper() == "TRUE"
            fill_polygon((mask if inclusion else holes)[index], np.array(points))
    mask &= ~holes
    mask[~tumour_slices] = False
    return mask


def box_mask(hu: np.ndarray, boxes: dict[int, tuple[int, int, int, int]]) -> np.ndarray:
    """Soft tissue inside each box (``index -> (xmin, ymin, xmax, ymax)``), the largest 3-D connected part."""
    mask = np.zeros(hu.shape, bool)
    for index, (x0, y0, x1, y1) in boxes.items():
        mask[index, y0 : y1 + 1, x0 : x1 + 1] = hu[index, y0 : y1 + 1, x0 : x1 + 1] > BOX_TISSUE_HU
    labels, count = ndimage.label(mask)
    if count > 1:
        sizes = ndimage.sum_labels(mask, labels, range(1, count + 1))
        mask = labels == 1 + int(np.argmax(sizes))
    return ndimage.binary_fill_holes(mask, structure=np.ones((1, 3, 3), bool))


def truth_slices(series: Series, rows: list[dict[str, str]]) -> tuple[np.ndarray, dict[int, tuple]]:
    """TRUTH.csv's tumour flags per series slice and its boxes (slice index -> (xmin, ymin, xmax, ymax))."""
    by_name = {Path(ref.path).resolve(): index for index, ref in enumerate(series.slices)}
    flags = np.zeros(len(series), bool)
    boxes = {}
    for row in rows:
        index = by_name.get(Path(row["_folder"], row["slice_file"]).resolve())
        if index is None or row["has_tumour"].strip().lower() != "yes":
            continue
        flags[index] = True
        boxes[index] = tuple(int(float(row[key])) for key in ("xmin", "ymin", "xmax", "ymax"))
    return flags, boxes


def load_annotated_series(folder: Path) -> AnnotatedSeries:
    """The CT volume and tumour mask of one annotated folder (see the module docstring for the four sources)."""
    folder = Path(folder)
    series = ct_series(folder)
    hu = np.stack([read_slice(series, index) for index in range(len(series))]).astype(np.float32)
    rows = [dict(row, _folder=str(folder)) for row in read_truth_rows(folder)]
    flags, boxes = truth_slices(series, rows)
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    modalities = {}
    for path in files:
        if path.suffix.lower() == ".dcm" or not path.suffix:
            try:
                modalities[path] = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality"]).get(
                    "Modality", ""
                )
            except Exception:  # noqa: BLE001 - anything unreadable is simply not an annotation
                continue
    segs = [path for path, modality in modalities.items() if modality == "SEG"]
    structures = [path for path, modality in modalities.items() if modality == "RTSTRUCT"]
    xmls = [path for path in files if path.suffix.lower() == ".xml" and is_lidc_xml(path)]
    if segs:
        mask, source = seg_mask(series, segs), "seg"
    elif structures:
        mask, source = rtstruct_mask(series, structures[0], tumour_roi_names(folder)), "rtstruct"
    elif xmls:
        mask, source = lidc_mask(series, xmls, flags), "lidc-xml"
    else:
        mask, source = box_mask(hu, boxes), "box-hu"
    return AnnotatedSeries(folder.name, series, hu, mask, source)


def is_lidc_xml(path: Path) -> bool:
    """Whether ``path`` is an LIDC-IDRI reader XML (LidcReadMessage)."""
    return "LidcReadMessage" in path.read_text(errors="ignore")[:2000]


def tumour_roi_names(folder: Path) -> set[str]:
    """The RTSTRUCT ROI names ``NODULES.csv`` marks as tumour."""
    with open(Path(folder) / "NODULES.csv", newline="", encoding="utf-8") as stream:
        return {row["roi_name"] for row in csv.DictReader(stream) if row.get("kind") == "tumour"}


def find_annotated_folders(root: Path) -> list[Path]:
    """``root`` when it holds a TRUTH.csv, else its sub-folders that do, sorted by name."""
    root = Path(root)
    if (root / TRUTH_FILE).is_file():
        return [root]
    return sorted(folder for folder in root.iterdir() if (folder / TRUTH_FILE).is_file())
