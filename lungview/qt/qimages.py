"""numpy images as QImages (copied, so the array may change or go afterwards)."""

import numpy as np
from PySide6.QtGui import QImage


def grey_qimage(grey: np.ndarray) -> QImage:
    """A ``rows x cols`` uint8 array as an 8-bit greyscale QImage."""
    grey = np.ascontiguousarray(grey, dtype=np.uint8)
    rows, cols = grey.shape
    return QImage(grey.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy()


def rgba_qimage(rgba: np.ndarray) -> QImage:
    """A ``rows x cols x 4`` uint8 array as an RGBA QImage."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    rows, cols, _ = rgba.shape
    return QImage(rgba.data, cols, rows, cols * 4, QImage.Format.Format_RGBA8888).copy()
