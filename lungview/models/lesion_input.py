"""HU slices of a series to the lesion network's 2.5-D input, and its probability maps back to the slice grid.

Each slice is padded to a square with air (-1024 HU) and area-resized to ``size`` pixels in HU, then windowed
(the order matters: resizing windowed pixels blurs the window's clipping into the lung). The three channels are
the slice in the lung window (W1500/L-600), the slice in the mediastinal window (W400/L40) and the mean of the two
neighbouring planes :data:`NEIGHBOUR_MM` above and below in the lung window, interpolated along the slice axis, so
a series of any slice gap gives the network the same 3-D context. Values are scaled to [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Network input side (pixels).
INPUT_SIZE = 224
#: Distance of the neighbouring planes (mm).
NEIGHBOUR_MM = 5.0
#: (centre, width) of the lung and mediastinal windows (HU).
LUNG_WINDOW = (-600.0, 1500.0)
MEDIASTINAL_WINDOW = (40.0, 400.0)
AIR_HU = -1024.0


@dataclass(frozen=True)
class SquareGeometry:
    """How a ``rows`` x ``columns`` slice sits in the padded square that is resized to ``size``."""

    rows: int
    columns: int
    size: int

    @property
    def side(self) -> int:
        return max(self.rows, self.columns)

    @property
    def top(self) -> int:
        return (self.side - self.rows) // 2

    @property
    def left(self) -> int:
        return (self.side - self.columns) // 2

    @property
    def scale(self) -> float:
        """Network pixels per slice pixel."""
        return self.size / self.side


def resize_hu(hu: np.ndarray, size: int = INPUT_SIZE, fill: float = AIR_HU) -> np.ndarray:
    """``hu`` padded to a square with ``fill`` (air) and area-resized to ``size`` x ``size`` (float32)."""
    geometry = SquareGeometry(hu.shape[0], hu.shape[1], size)
    square = np.full((geometry.side, geometry.side), fill, np.float32)
    square[geometry.top : geometry.top + hu.shape[0], geometry.left : geometry.left + hu.shape[1]] = hu
    return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)


def window(hu: np.ndarray, centre_width: tuple[float, float]) -> np.ndarray:
    """HU through a window, scaled to [-1, 1]."""
    centre, width = centre_width
    return np.clip((hu - centre) / (width / 2.0), -1.0, 1.0).astype(np.float32)


def neighbour_mean(planes: np.ndarray, positions: np.ndarray, gap_mm: float = NEIGHBOUR_MM) -> np.ndarray:
    """Per plane, the mean of the planes ``gap_mm`` above and below, linearly interpolated along the slice axis
    (``positions`` ascending, mm; clamped at the ends of the stack)."""
    order = np.arange(len(positions), dtype=np.float64)
    result = np.empty_like(planes)
    for index, z in enumerate(positions):
        total = np.zeros(planes.shape[1:], np.float32)
        for target in (z - gap_mm, z + gap_mm):
            where = float(np.interp(target, positions, order))
            low = int(np.floor(where))
            high = min(low + 1, len(positions) - 1)
            weight = where - low
            total += (1 - weight) * planes[low] + weight * planes[high]
        result[index] = total / 2
    return result


def network_inputs(resized: np.ndarray, positions: np.ndarray, gap_mm: float = NEIGHBOUR_MM) -> np.ndarray:
    """``[n, 3, size, size]`` inputs of ``n`` resized HU planes (:func:`resize_hu`) at ``positions`` (mm)."""
    positions = np.asarray(positions, np.float64)
    order = np.argsort(positions, kind="stable")
    neighbours = np.empty_like(resized)
    neighbours[order] = neighbour_mean(resized[order], positions[order], gap_mm)
    return np.stack(
        [window(resized, LUNG_WINDOW), window(resized, MEDIASTINAL_WINDOW), window(neighbours, LUNG_WINDOW)], axis=1
    )


def map_to_slice(plane: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """A ``[size, size]`` network map back on the ``rows`` x ``columns`` slice grid (bilinear)."""
    geometry = SquareGeometry(rows, columns, plane.shape[0])
    full = cv2.resize(plane.astype(np.float32), (geometry.side, geometry.side), interpolation=cv2.INTER_LINEAR)
    return full[geometry.top : geometry.top + rows, geometry.left : geometry.left + columns]


def mask_to_network(mask: np.ndarray, size: int) -> np.ndarray:
    """A slice mask as the fraction of each network pixel it covers (``[size, size]`` float32 in [0, 1])."""
    return resize_hu(mask.astype(np.float32), size, fill=0.0)
