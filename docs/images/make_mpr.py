"""Render docs/images/mpr.png: LIDC-IDRI-0001 in the three-plane layout with one finding marked in every plane.

The finding is hand-built from the collection's first reader outline of its nodule (NODULES.csv: instances 40-47,
x 297-337, y 340-389) to show how the viewer draws a lesion finding; it is not a model's output.
Run: ``QT_QPA_PLATFORM=offscreen python docs/images/make_mpr.py [DATA_DIR]``.
"""

import csv
import sys
from pathlib import Path

from PySide6.QtCore import QSize

from lungview.detection.lesions import Lesion, LesionSlice, SeriesLesions
from lungview.dicom import scan_paths
from lungview.qt.screenshot import save_screenshot

DATA = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/dicom/lidc-idri-0001")
OUT = Path(__file__).with_name("mpr.png")


def reader_finding() -> tuple[str, SeriesLesions, int, tuple[int, int]]:
    """The series folder, a SeriesLesions holding the first reader's nodule, its centre slice and (row, col)."""
    with open(DATA / "NODULES.csv", newline="") as stream:
        nodule = next(csv.DictReader(stream))
    folder = str(next(path.parent for path in DATA.rglob("*.dcm")))
    series = scan_paths([folder]).series[0]
    first, last = int(nodule["instance_first"]), int(nodule["instance_last"])
    box = (int(nodule["ymin"]), int(nodule["xmin"]), int(nodule["ymax"]), int(nodule["xmax"]))
    slices = tuple(
        LesionSlice(index, ref.instance_number, ref.sop_instance_uid, box)
        for index, ref in enumerate(series.slices) if first <= (ref.instance_number or 0) <= last
    )
    centre = slices[len(slices) // 2].index
    row, col = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    lesion = Lesion(1, 0.93, centre, float(row), float(col), None, slices)
    lesions = SeriesLesions(series.series_uid, {"id": "reader-outline", "version": "", "sha256": ""}, 0.5, (lesion,),
                            (None,) * len(series))
    return folder, lesions, centre, (row, col)


if __name__ == "__main__":
    folder, lesions, centre, point = reader_finding()
    save_screenshot([folder], str(OUT), centre, "lung", True, QSize(1500, 640), layout="mpr", lesions=lesions, point=point)
    print(OUT)
