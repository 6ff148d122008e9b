"""Blend a model-attention heatmap over a grey slice (the same colouring on the page and in the DICOM export)."""

import cv2
import numpy as np

DEFAULT_OPACITY = 0.4
COLOUR_MAP = cv2.COLORMAP_JET
"""OpenCV colour map: blue for low attention, red for high."""


def colour_heatmap(heatmap: np.ndarray) -> np.ndarray:
    """RGB uint8 ``[rows, columns, 3]`` colours of a heatmap in [0, 1]."""
    levels = np.clip(np.nan_to_num(heatmap) * 255.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(levels, COLOUR_MAP), cv2.COLOR_BGR2RGB)


def blend_heatmap(grey: np.ndarray, heatmap: np.ndarray, opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """RGB uint8 slice with ``heatmap`` blended over ``grey`` at ``opacity`` (0 shows the slice alone).

    A heatmap of another size is resized to the slice first (bilinear), so the overlay always covers the slice.
    """
    if heatmap.shape != grey.shape:
        heatmap = cv2.resize(heatmap.astype(np.float32), (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    grey_rgb = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    blended = (1.0 - opacity) * grey_rgb + opacity * colour_heatmap(heatmap).astype(np.float32)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    """RGB uint8 copy of a grey uint8 slice."""
    return np.repeat(grey[..., None], 3, axis=2)
