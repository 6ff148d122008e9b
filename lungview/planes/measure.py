"""Measurements on a 2-D slice: ruler length and region-of-interest statistics in true millimetres. No Qt.

Shapes live in continuous image coordinates: pixel ``(row, col)`` covers ``[row, row + 1) x [col, col + 1)``, so
its centre is ``(row + 0.5, col + 0.5)``. A pixel belongs to a region when its centre lies inside the shape (the
rule DICOM viewers such as Weasis and 3D Slicer's segment statistics use for pixel-based ROI statistics).
"""

import math
from dataclasses import dataclass

import numpy as np

SHAPE_KINDS = ("ruler", "rectangle", "ellipse", "polygon")
"""A ruler is a segment; the others enclose a region."""

Point = tuple[float, float]
"""(row, col) in continuous image coordinates."""


@dataclass(frozen=True)
class Shape:
    """A ruler or a region drawn on one slice: its kind and its points (row, col).

    A ruler, a rectangle and an ellipse have two points (the ends, the opposite corners, the corners of the
    bounding box); a polygon has its vertices in order, closed implicitly.
    """

    kind: str
    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        if self.kind not in SHAPE_KINDS:
            raise ValueError(f"a shape is one of {', '.join(SHAPE_KINDS)}, not {self.kind!r}")

    @property
    def is_region(self) -> bool:
        """True for the shapes that enclose pixels (every kind but the ruler)."""
        return self.kind != "ruler"


@dataclass(frozen=True)
class RegionStatistics:
    """HU (or grey) statistics of the pixels inside a region, and its area."""

    pixels: int
    mean: float
    sd: float
    """Population standard deviation (ddof 0) of the pixel values."""
    minimum: float
    maximum: float
    area: float
    """In mm² where the pixel spacing is known, else in pixels."""
    area_unit: str
    """``"mm²"`` or ``"px"``."""


def ruler_length(start: Point, end: Point, pixel_spacing: tuple[float, float] | None) -> float:
    """Distance between two image points in mm (in pixels where ``pixel_spacing`` is None)."""
    row_spacing, col_spacing = pixel_spacing or (1.0, 1.0)
    return math.hypot((end[0] - start[0]) * row_spacing, (end[1] - start[1]) * col_spacing)


def region_mask(shape: Shape, image_shape: tuple[int, int]) -> np.ndarray:
    """Boolean mask of the pixels of an ``image_shape`` image whose centres lie inside ``shape``."""
    if not shape.is_region:
        raise ValueError("a ruler encloses no pixels")
    rows, cols = image_shape
    centre_rows = np.arange(rows, dtype=np.float64)[:, None] + 0.5
    centre_cols = np.arange(cols, dtype=np.float64)[None, :] + 0.5
    if shape.kind == "polygon":
        return _inside_polygon(shape.points, centre_rows, centre_cols)
    (r0, c0), (r1, c1) = shape.points[0], shape.points[-1]
    top, bottom, left, right = min(r0, r1), max(r0, r1), min(c0, c1), max(c0, c1)
    if shape.kind == "rectangle":
        return (centre_rows >= top) & (centre_rows < bottom) & (centre_cols >= left) & (centre_cols < right)
    half_height, half_width = (bottom - top) / 2, (right - left) / 2
    if half_height <= 0 or half_width <= 0:
        return np.zeros(image_shape, dtype=bool)
    rows_term = ((centre_rows - (top + half_height)) / half_height) ** 2
    cols_term = ((centre_cols - (left + half_width)) / half_width) ** 2
    return rows_term + cols_term <= 1.0


def _inside_polygon(vertices: tuple[Point, ...], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Even-odd rule: a point is inside when a ray towards +col crosses the polygon's edges an odd number of times."""
    inside = np.zeros(np.broadcast_shapes(rows.shape, cols.shape), dtype=bool)
    if len(vertices) < 3:
        return inside
    for (r0, c0), (r1, c1) in zip(vertices, vertices[1:] + vertices[:1]):
        if r0 == r1:
            continue  # a horizontal edge is never crossed by a horizontal ray
        spans = (rows >= min(r0, r1)) & (rows < max(r0, r1))
        crossing_col = c0 + (rows - r0) * (c1 - c0) / (r1 - r0)
        inside ^= spans & (cols < crossing_col)
    return inside


def region_statistics(
    image: np.ndarray, mask: np.ndarray, pixel_spacing: tuple[float, float] | None
) -> RegionStatistics | None:
    """Mean, SD, min and max of ``image`` under ``mask`` and the masked area; None for an empty mask."""
    values = np.asarray(image, dtype=np.float64)[mask]
    if values.size == 0:
        return None
    if pixel_spacing:
        area, unit = values.size * pixel_spacing[0] * pixel_spacing[1], "mm²"
    else:
        area, unit = float(values.size), "px"
    return RegionStatistics(
        pixels=int(values.size),
        mean=float(values.mean()),
        sd=float(values.std()),
        minimum=float(values.min()),
        maximum=float(values.max()),
        area=float(area),
        area_unit=unit,
    )


def shape_summary(
    shape: Shape, image: np.ndarray | None, pixel_spacing: tuple[float, float] | None, has_hu: bool = True
) -> dict:
    """The values a measurement records: a ruler's ``length`` or a region's statistics, with their units."""
    if not shape.is_region:
        return {"length": ruler_length(shape.points[0], shape.points[-1], pixel_spacing),
                "length_unit": "mm" if pixel_spacing else "px"}
    statistics = None if image is None else region_statistics(image, region_mask(shape, image.shape), pixel_spacing)
    if statistics is None:
        return {"pixels": 0}
    return {
        "pixels": statistics.pixels,
        "mean": statistics.mean,
        "sd": statistics.sd,
        "min": statistics.minimum,
        "max": statistics.maximum,
        "value_unit": "HU" if has_hu else "grey",
        "area": statistics.area,
        "area_unit": statistics.area_unit,
    }


def summary_text(kind: str, values: dict, separator: str = " · ") -> str:
    """A measurement's values as text (``"12.3 mm"``, ``"mean -812 HU, SD 45 · min -990, max -402 · 154.2 mm²"``);
    ``separator`` joins its parts (``"\n"`` for a label of three lines)."""
    if kind == "ruler":
        return f"{values['length']:.1f} {values['length_unit']}"
    if not values.get("pixels"):
        return "no pixels inside"
    return separator.join([
        f"mean {values['mean']:.0f} {values['value_unit']}, SD {values['sd']:.0f}",
        f"min {values['min']:.0f}, max {values['max']:.0f}",
        f"{values['area']:.1f} {values['area_unit']}",
    ])
