"""Multiplanar reformatting: the series' HU volume on a uniform grid, and its coronal and sagittal planes. No Qt.

The volume is ``[plane, row, col]``: the axial slices stacked along the slice normal (ascending z), resampled
linearly to one uniform step when the slice positions are unevenly spaced, so every reformatted pixel sits at its
true position. A coronal plane is ``volume[:, row, :]`` and a sagittal plane ``volume[:, :, col]``, both shown
with the highest z (the head, for an axial CT) at the top; their pixel spacing is (z step, column spacing) and
(z step, row spacing), so anisotropic voxels keep their true shape on screen. Series whose geometry cannot be
reformatted without distortion (gantry tilt, missing slices, no pixel spacing) are refused with a plain sentence.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lungview.dicom.geometry import GAP_FACTOR, SAME_POSITION_MM, TILT_WARNING_PREFIX
from lungview.volume import Series

UNIFORM_STEP_TOLERANCE = 0.01
"""Steps within this fraction of the median step count as uniform; otherwise the stack is resampled."""


class ReformatError(ValueError):
    """The series cannot be reformatted without distortion; the message says why in a sentence."""


@dataclass(frozen=True, eq=False)
class ReformatVolume:
    """HU voxels ``[plane, row, col]`` on a uniform grid along the slice normal, and where each plane lies."""

    hu: np.ndarray
    z0: float
    """Position (mm along the slice normal) of plane 0."""
    step: float
    """Distance between planes in mm."""
    pixel_spacing: tuple[float, float]
    """(row, column) spacing of the axial slices in mm."""
    source_z: tuple[float, ...]
    """Position of each axial slice of the series, in series order."""
    resampled: bool
    """True when uneven slice positions were interpolated onto the uniform grid."""

    @property
    def planes(self) -> int:
        """Number of planes along the slice normal."""
        return self.hu.shape[0]

    @property
    def spacing(self) -> tuple[float, float, float]:
        """(plane step, row spacing, column spacing) in mm."""
        return (self.step, *self.pixel_spacing)

    def plane_of_slice(self, index: int) -> float:
        """Continuous plane position of axial slice ``index`` (an integer when no resampling happened)."""
        return (self.source_z[index] - self.z0) / self.step

    def slice_of_plane(self, plane: float) -> int:
        """The axial slice nearest to continuous plane position ``plane``."""
        z = self.z0 + plane * self.step
        return int(np.argmin(np.abs(np.asarray(self.source_z) - z)))

    def display_row(self, plane: float) -> float:
        """Row of a coronal or sagittal image at continuous plane position ``plane`` (pixel centre at ``+ 0.5``)."""
        return self.planes - 1 - plane

    def plane_at_display_row(self, row: float) -> float:
        """Continuous plane position shown at image row ``row`` of a coronal or sagittal image."""
        return self.planes - 1 - row

    def coronal(self, row: int) -> np.ndarray:
        """The coronal plane through axial row ``row``: ``[plane (top = highest z), col]``."""
        return self.hu[::-1, row, :]

    def sagittal(self, col: int) -> np.ndarray:
        """The sagittal plane through axial column ``col``: ``[plane (top = highest z), row]``."""
        return self.hu[::-1, :, col]

    def plane_image(self, plane: str, position: int) -> np.ndarray:
        """The ``coronal`` or ``sagittal`` image at ``position`` (axial row or column)."""
        return self.coronal(position) if plane == "coronal" else self.sagittal(position)

    def plane_spacing(self, plane: str) -> tuple[float, float]:
        """(row, column) pixel spacing in mm of a ``coronal`` or ``sagittal`` image."""
        row_spacing, col_spacing = self.pixel_spacing
        return (self.step, col_spacing if plane == "coronal" else row_spacing)

    def plane_count(self, plane: str) -> int:
        """How many ``coronal`` (axial rows) or ``sagittal`` (axial columns) positions there are."""
        return self.hu.shape[1] if plane == "coronal" else self.hu.shape[2]


def check_reformattable(series: Series) -> None:
    """Raise :class:`ReformatError` with a plain sentence when ``series`` cannot be reformatted without distortion."""
    if len(series) < 2:
        raise ReformatError("Coronal and sagittal views need a stack of slices; this series has one image.")
    if series.spacing is None or series.slices[0].pixel_spacing is None:
        raise ReformatError(
            "This series has no pixel spacing or slice positions: coronal and sagittal views would be distorted."
        )
    tilt = next((warning for warning in series.warnings if warning.startswith(TILT_WARNING_PREFIX)), None)
    if tilt is not None:
        raise ReformatError(f"{tilt} Coronal and sagittal views are not drawn for a tilted stack.")
    z = np.asarray([slice_ref.z for slice_ref in series.slices])
    uniform_grid(z)


def uniform_grid(z: Sequence[float]) -> tuple[float, float, int, bool]:
    """(first position, step, number of planes, needs resampling) for ascending slice positions ``z``.

    Raises
    ------
    ReformatError
        When two slices share a position or slices are missing (a gap of more than :data:`GAP_FACTOR` steps).
    """
    z = np.asarray(z, dtype=np.float64)
    steps = np.diff(z)
    if np.any(steps < SAME_POSITION_MM):
        raise ReformatError(
            "Two slices share a position (two acquisitions or duplicate files): coronal and sagittal views "
            "cannot be built."
        )
    step = float(np.median(steps))
    if np.any(steps > GAP_FACTOR * step):
        raise ReformatError(
            "Slices are missing from the stack: coronal and sagittal views would invent what lies in the gap."
        )
    uneven = bool(np.any(np.abs(steps - step) > UNIFORM_STEP_TOLERANCE * step))
    # The mean step keeps as many planes as slices: resampling neither drops nor invents resolution on average.
    return float(z[0]), float(z[-1] - z[0]) / (len(z) - 1), len(z), uneven


def resample_planes(slices: np.ndarray, z: Sequence[float], z0: float, step: float, planes: int) -> np.ndarray:
    """Linear interpolation of ``slices`` ``[slice, row, col]`` at positions ``z`` onto ``planes`` uniform planes."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty((planes, *slices.shape[1:]), dtype=np.float32)
    for plane in range(planes):
        position = min(z0 + plane * step, z[-1])
        below = min(int(np.searchsorted(z, position, side="right")) - 1, len(z) - 2)
        weight = (position - z[below]) / (z[below + 1] - z[below])
        np.multiply(slices[below], 1.0 - weight, out=out[plane])
        out[plane] += weight * slices[below + 1]
    return out


def stack_volume(
    load: Callable[[int], np.ndarray],
    series: Series,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReformatVolume | None:
    """Stack every slice ``load(index)`` of ``series`` into a :class:`ReformatVolume`; None when cancelled.

    Raises
    ------
    ReformatError
        When the series' geometry forbids reformatting (see :func:`check_reformattable`).
    """
    check_reformattable(series)
    z = [slice_ref.z for slice_ref in series.slices]
    z0, step, planes, uneven = uniform_grid(z)
    stacked = np.empty((len(series), series.rows, series.columns), dtype=np.float32)
    for index in range(len(series)):
        if cancelled is not None and cancelled():
            return None
        stacked[index] = load(index)
        if progress is not None:
            progress(index + 1, len(series))
    hu = resample_planes(stacked, z, z0, step, planes) if uneven else stacked
    return ReformatVolume(hu, z0, step, series.slices[0].pixel_spacing, tuple(z), uneven)
