"""Display windows (window centre / width) for CT in Hounsfield units.

The linear VOI LUT follows DICOM PS3.3 C.11.2.1.2.1 ("LINEAR" function).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """A VOI window: ``center`` and ``width`` in the image's units (HU for CT)."""

    center: float
    width: float

    @property
    def low(self) -> float:
        return self.center - self.width / 2

    @property
    def high(self) -> float:
        return self.center + self.width / 2


PRESETS: dict[str, Window] = {
    "lung": Window(-600, 1500),
    "mediastinum": Window(40, 350),
    "soft-tissue": Window(40, 400),
    "bone": Window(500, 2000),
}

#: Window for images without HU (PNG/JPG slices already stored as 0..255 grey).
GREY_8BIT = Window(127.5, 256)


def window_named(name: str) -> Window:
    """Return the preset called ``name`` (``lung``, ``mediastinum``, ``soft-tissue``, ``bone``)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown window {name!r}; choose one of {', '.join(PRESETS)}") from None


def apply_window(image: np.ndarray, window: Window) -> np.ndarray:
    """Map ``image`` through the linear VOI LUT of ``window`` to ``uint8`` grey levels 0..255.

    Implements DICOM PS3.3 C.11.2.1.2.1: values at or below ``c - 0.5 - (w - 1) / 2`` are black, values above
    ``c - 0.5 + (w - 1) / 2`` white, linear in between.
    """
    width = max(float(window.width), 2.0)
    center = float(window.center)
    scaled = ((image.astype(np.float32) - (center - 0.5)) / (width - 1) + 0.5) * 255.0
    return np.clip(scaled, 0, 255).astype(np.uint8)
