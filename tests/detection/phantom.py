"""A synthetic chest phantom in HU: body, two lungs, one round nodule and one thin vessel that moves across slices.

Imported as ``detection.phantom`` (``tests/`` is on ``sys.path`` through the root ``conftest.py``).
"""

import numpy as np

PIXEL_MM = 0.75
SLICE_MM = 2.5
SHAPE = (256, 256)
#: Nodule centre (slice, row, column) and radius in mm.
NODULE = (10, 100, 80)
NODULE_RADIUS_MM = 7.0


def phantom(slices: int = 20, nodule: bool = True, vessel: bool = True) -> np.ndarray:
    """HU volume ``[slices, 256, 256]`` with 0.75 mm pixels and 2.5 mm slices."""
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]].astype(np.float32)
    volume = np.full((slices, *SHAPE), -1000.0, np.float32)
    body = ((rows - 128) / 110) ** 2 + ((cols - 128) / 120) ** 2 <= 1
    right = ((rows - 120) / 80) ** 2 + ((cols - 75) / 45) ** 2 <= 1
    left = ((rows - 120) / 80) ** 2 + ((cols - 181) / 45) ** 2 <= 1
    for z in range(slices):
        plane = volume[z]
        plane[body] = 40.0
        plane[right | left] = -850.0
        if nodule:
            dz = (z - NODULE[0]) * SLICE_MM
            radius = np.sqrt(max(0.0, NODULE_RADIUS_MM**2 - dz**2)) / PIXEL_MM
            plane[(rows - NODULE[1]) ** 2 + (cols - NODULE[2]) ** 2 <= radius**2] = 30.0
        if vessel:  # 1.2 mm radius, moving 6 px per slice across the left lung
            plane[(rows - 60 - 6 * z) ** 2 + (cols - 180) ** 2 <= (1.2 / PIXEL_MM) ** 2] = 40.0
    return volume
