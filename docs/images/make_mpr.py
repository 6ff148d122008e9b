"""Render docs/images/mpr.png: LIDC-IDRI-0001 in the three-plane layout with the lesion finder's top finding.

The findings are ``ct-tumour-slice``'s own output on the series (which is part of its training data), drawn in every
plane. Run: ``QT_QPA_PLATFORM=offscreen python docs/images/make_mpr.py [DATA_DIR]``.
"""

import sys
from pathlib import Path

from PySide6.QtCore import QSize

from lungview.detection import LesionFinder
from lungview.dicom import scan_paths
from lungview.qt.screenshot import save_screenshot

DATA = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/dicom/lidc-idri-0001")
OUT = Path(__file__).with_name("mpr.png")

if __name__ == "__main__":
    folder = str(next(path.parent for path in DATA.rglob("*.dcm")))
    series = scan_paths([folder]).series[0]
    lesions = LesionFinder.load().find(series)
    top = lesions.findings[0]
    point = (round(top.centre_row), round(top.centre_col))
    save_screenshot(
        [folder], str(OUT), top.centre_index, "lung", True, QSize(1500, 640), layout="mpr", lesions=lesions, point=point
    )
    print(OUT)
