"""Tumour boxes per slice from a shared-data folder's TRUTH.csv."""

import csv
from pathlib import Path


def truth_boxes(folder: Path) -> dict[int, tuple[int, int, int, int]]:
    """InstanceNumber -> (xmin, ymin, xmax, ymax) of the tumour, from the folder's TRUTH.csv."""
    with open(folder / "TRUTH.csv", newline="") as handle:
        return {
            int(row["instance_number"]): tuple(int(float(row[key])) for key in ("xmin", "ymin", "xmax", "ymax"))
            for row in csv.DictReader(handle)
            if row["has_tumour"] == "yes"
        }
