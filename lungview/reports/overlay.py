"""Blend a model-attention heatmap over a grey slice (the same colouring on the page and in the DICOM export).

The lowest attention is transparent: opacity rises from 0 at :data:`TRANSPARENT_BELOW` to the chosen opacity at
:data:`FULL_FROM`, so the blue end of the colour map no longer tints the whole slice and the slice stays readable
wherever the model did not look.
"""

import cv2
import numpy as np

DEFAULT_OPACITY = 0.4
COLOUR_MAP = cv2.COLORMAP_JET
"""OpenCV colour map: blue for low attention, red for high."""
TRANSPARENT_BELOW = 0.2
"""Attention (0..1) at or below which the overlay is fully transparent."""
FULL_FROM = 0.5
"""Attention from which the overlay has its full opacity."""


def attention_alpha(heatmap: np.ndarray, opacity: float) -> np.ndarray:
    """Per-pixel opacity in [0, ``opacity``]: 0 up to :data:`TRANSPARENT_BELOW`, linear up to :data:`FULL_FROM`."""
    ramp = (np.nan_to_num(heatmap).astype(np.float32) - TRANSPARENT_BELOW) / (FULL_FROM - TRANSPARENT_BELOW)
    return np.clip(ramp, 0.0, 1.0) * min(max(float(opacity), 0.0), 1.0)


def legend_text() -> str:
    """What the colour bar's low end means, for every legend (screen and report)."""
    return f"transparent below {TRANSPARENT_BELOW:.0%}"


def colour_heatmap(heatmap: np.ndarray) -> np.ndarray:
    """RGB uint8 ``[rows, columns, 3]`` colours of a heatmap in [0, 1]."""
    levels = np.clip(np.nan_to_num(heatmap) * 255.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(levels, COLOUR_MAP), cv2.COLOR_BGR2RGB)


def blend_heatmap(grey: np.ndarray, heatmap: np.ndarray, opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """RGB uint8 slice with ``heatmap`` blended over ``grey`` at up to ``opacity`` (see :func:`attention_alpha`).

    A heatmap of another size is resized to the slice first (bilinear), so the overlay always covers the slice.
    """
    if heatmap.shape != grey.shape:
        heatmap = cv2.resize(heatmap.astype(np.float32), (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    grey_rgb = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    alpha = attention_alpha(heatmap, opacity)[..., None]
    blended = (1.0 - alpha) * grey_rgb + alpha * colour_heatmap(heatmap).astype(np.float32)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    """RGB uint8 copy of a grey uint8 slice."""
    return np.repeat(grey[..., None], 3, axis=2)
