"""Where an annotation's frame or contour lies on a series: slice lookup by UID or position, patient -> pixel. No Qt."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lungview.dicom.geometry import slice_normal
from lungview.volume import Series

IN_PLANE_TOLERANCE_PIXELS = 0.5
ORIENTATION_TOLERANCE = 1e-3


@dataclass(frozen=True, eq=False)
class SeriesGeometry:
    """The series' slice identities and patient geometry needed to place annotations on it."""

    index_of_uid: dict[str, int]
    z: np.ndarray
    row_direction: np.ndarray | None
    col_direction: np.ndarray | None
    normal: np.ndarray | None
    positions: list[tuple[float, float, float] | None]
    pixel_spacing: tuple[float, float] | None
    step: float
    shape: tuple[int, int]

    @classmethod
    def of(cls, series: Series) -> SeriesGeometry:
        orientation = series.orientation
        row = col = normal = None
        if orientation and len(orientation) == 6:
            row, col = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
            normal = np.asarray(slice_normal(orientation), float)
        step = series.spacing[0] if series.spacing else 1.0
        return cls(
            index_of_uid={ref.sop_instance_uid: i for i, ref in enumerate(series.slices)},
            z=np.asarray([ref.z for ref in series.slices], float),
            row_direction=row,
            col_direction=col,
            normal=normal,
            positions=[ref.position for ref in series.slices],
            pixel_spacing=series.slices[0].pixel_spacing if series.slices else None,
            step=float(step) if step else 1.0,
            shape=(series.rows, series.columns),
        )

    @property
    def has_patient_geometry(self) -> bool:
        """True when patient coordinates can be mapped to slices and pixels."""
        return self.normal is not None and self.pixel_spacing is not None and all(
            position is not None for position in self.positions
        )

    def same_orientation(self, orientation) -> bool:
        """True when ``orientation`` (six direction cosines) is the series' own."""
        if self.row_direction is None or orientation is None or len(orientation) != 6:
            return False
        ours = np.concatenate([self.row_direction, self.col_direction])
        return bool(np.allclose(np.asarray(orientation, float), ours, atol=ORIENTATION_TOLERANCE))

    def slice_at(self, point) -> int | None:
        """The slice whose plane holds patient point ``point`` (within half a step), or None."""
        if not self.has_patient_geometry:
            return None
        z = float(np.dot(np.asarray(point, float), self.normal))
        index = int(np.argmin(np.abs(self.z - z)))
        return index if abs(self.z[index] - z) <= max(self.step / 2, 0.01) else None

    def to_pixels(self, index: int, points: np.ndarray) -> np.ndarray:
        """Patient points ``(n, 3)`` on slice ``index`` as (row, col) pixel indices ``(n, 2)`` (pixel centres whole)."""
        offset = np.asarray(points, float) - np.asarray(self.positions[index], float)
        row_spacing, col_spacing = self.pixel_spacing
        return np.stack([offset @ self.col_direction / row_spacing, offset @ self.row_direction / col_spacing], axis=1)

    def frame_matches_slice(self, index: int, position) -> bool:
        """True when a frame whose first pixel lies at ``position`` covers slice ``index`` pixel for pixel."""
        row, col = self.to_pixels(index, np.asarray([position], float))[0]
        return abs(row) <= IN_PLANE_TOLERANCE_PIXELS and abs(col) <= IN_PLANE_TOLERANCE_PIXELS
