"""The lungs of a CT volume from HU alone: the large regions of air inside the body.

Used to keep findings in the chest (a finding must touch the lung) and to place synthetic lesions in training.
Air below :data:`AIR_HU` that is enclosed by the body on its slice is in-body air; its 3-D connected regions of at
least :data:`MIN_FRACTION` of the largest one are lung. Bowel and stomach gas, far smaller than a lung, are left
out, and so is the air around the patient.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

AIR_HU = -500.0
#: A region of in-body air is lung when it holds at least this fraction of the largest region's voxels.
MIN_FRACTION = 0.2
#: Regions smaller than this are never lung (mL).
MIN_LUNG_ML = 30.0


def lung_field(hu: np.ndarray, voxel_ml: float) -> np.ndarray:
    """Boolean lung mask of a HU volume ``[z, rows, columns]`` whose voxels hold ``voxel_ml`` mL each."""
    tissue = hu > AIR_HU
    body = np.stack([ndimage.binary_fill_holes(plane) for plane in tissue])
    air = body & ~tissue
    labels, count = ndimage.label(air)
    if count == 0:
        return np.zeros(hu.shape, bool)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    keep = (sizes >= MIN_FRACTION * sizes.max()) & (sizes * voxel_ml >= MIN_LUNG_ML)
    return np.concatenate([[False], keep])[labels]


def lung_volume_ml(lung: np.ndarray, voxel_ml: float) -> float:
    """The volume of a lung mask (mL)."""
    return float(lung.sum()) * voxel_ml
