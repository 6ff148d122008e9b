"""The one preprocessing path from a 2-D slice to a network input, shared by training, evaluation, CLI and viewer.

Shortcut removal: every image becomes one grey channel, is cropped to the body (borders, burnt-in text,
rulers and coloured annotation marks are left out) and resized to one square size, the same way for every class.
HU slices are first mapped to grey through the windows stored in the model card (DICOM PS3.3 C.11.2.1.2.1, via
:func:`lungview.windowing.apply_window`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from lungview.windowing import PRESETS, Window, apply_window

#: Input normalisations a backbone can ask for: grey 0..255 -> network input.
NORMALISATIONS = ("minus_one_to_one", "imagenet")
_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

#: A pixel whose channels differ by more than this is an annotation mark, not CT grey.
_COLOUR_SPREAD = 40


@dataclass(frozen=True)
class PreprocessParams:
    """How a slice becomes a network input; stored in the model card.

    Attributes
    ----------
    size : int
        Side of the square network input in pixels.
    channels : tuple of Window
        One window per input channel. A HU slice is windowed once per channel; a grey (0..255) image is copied
        into every channel unchanged.
    crop : str
        ``"body"`` crops to the largest bright connected region; ``"none"`` keeps the whole image.
    body_threshold : float
        Grey level (0..255) above which a pixel may belong to the body.
    margin : float
        Fraction of the body box added on each side.
    normalisation : str
        ``"minus_one_to_one"`` (TF-Lite EfficientNet-Lite) or ``"imagenet"`` (torchvision mean/std).
    resample : str
        ``"windowed"``: window at full size, then resize and round to whole grey levels; ``"hu"``: resize the HU
        slice (area average, as partial volume does) and window it afterwards, without rounding.
    """

    size: int = 224
    channels: tuple[Window, ...] = field(default_factory=lambda: (PRESETS["lung"],) * 3)
    crop: str = "body"
    body_threshold: float = 20.0
    margin: float = 0.03
    normalisation: str = "minus_one_to_one"
    resample: str = "windowed"

    def __post_init__(self) -> None:
        if self.resample not in ("windowed", "hu"):
            raise ValueError(f"resample must be 'windowed' or 'hu', not {self.resample!r}")
        if self.crop not in ("body", "none"):
            raise ValueError(f"crop must be 'body' or 'none', not {self.crop!r}")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}, not {self.normalisation!r}")
        if self.size < 8 or not self.channels:
            raise ValueError("size must be at least 8 and channels must not be empty")

    def to_dict(self) -> dict:
        """JSON-ready form for the model card."""
        data = asdict(self)
        data["channels"] = [{"center": w.center, "width": w.width} for w in self.channels]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PreprocessParams:
        """Inverse of :meth:`to_dict`; also reads cards that carry ``lung_field: false`` and its ``lung_margin_mm``,
        or ``spacing_mm: null``.

        ValueError for a card that asks for a lung-field mask or a fixed pixel size, which this preprocessing does
        not have.
        """
        values = dict(data)
        if values.pop("lung_field", False):
            raise ValueError("the card asks for a lung-field mask, which this version of LungView does not apply")
        values.pop("lung_margin_mm", None)
        if values.pop("spacing_mm", None) is not None:
            raise ValueError(
                "the card asks for a fixed pixel size (spacing_mm), which this version of LungView does not apply"
            )
        values["channels"] = tuple(Window(float(c["center"]), float(c["width"])) for c in data["channels"])
        return cls(**values)


@dataclass(frozen=True)
class CropBox:
    """Rows ``top:bottom`` and columns ``left:right`` of the original image that the network saw."""

    top: int
    bottom: int
    left: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def read_grey_image(path: Path) -> np.ndarray:
    """Read a PNG/JPG slice by content (not extension) as float32 grey 0..255 with colour marks removed.

    Raises
    ------
    ValueError
        When the file cannot be decoded; the message says why.
    """
    try:
        with Image.open(path) as image:
            image.load()
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ValueError(f"cannot decode image: {error}") from None
    return grey_from_rgb(rgb)


def grey_from_rgb(rgb: np.ndarray) -> np.ndarray:
    """One grey channel from an RGB array; coloured annotation pixels are painted over from their surroundings."""
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2).astype(np.int16)
    grey = rgb.mean(axis=2).astype(np.uint8)
    marks = (spread > _COLOUR_SPREAD).astype(np.uint8)
    if marks.any():
        marks = cv2.dilate(marks, np.ones((3, 3), np.uint8))
        grey = cv2.inpaint(grey, marks, 3, cv2.INPAINT_TELEA)
    return grey.astype(np.float32)


def body_box(grey: np.ndarray, params: PreprocessParams) -> CropBox:
    """Bounding box of the body: the largest bright region once thin text, rulers and frames are opened away."""
    height, width = grey.shape
    whole = CropBox(0, height, 0, width)
    if params.crop == "none":
        return whole
    mask = (grey > params.body_threshold).astype(np.uint8)
    edge = max(1, min(height, width) // 100)
    mask[:edge, :] = mask[-edge:, :] = 0  # a frame drawn along the edge would join everything into one region
    mask[:, :edge] = mask[:, -edge:] = 0
    kernel_side = max(3, min(height, width) // 40) | 1
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((kernel_side, kernel_side), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        return whole
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < 0.02 * height * width:
        return whole
    left, top, box_width, box_height = (int(v) for v in stats[largest, :4])
    pad_y, pad_x = int(params.margin * box_height), int(params.margin * box_width)
    return CropBox(
        max(0, top - pad_y),
        min(height, top + box_height + pad_y),
        max(0, left - pad_x),
        min(width, left + box_width + pad_x),
    )


def letterbox_geometry(box: CropBox, size: int) -> tuple[int, int, int, int]:
    """Resized height, width and the top/left offsets that centre the crop in a ``size`` square."""
    scale = size / max(box.height, box.width)
    resized_h = max(1, round(box.height * scale))
    resized_w = max(1, round(box.width * scale))
    return resized_h, resized_w, (size - resized_h) // 2, (size - resized_w) // 2


def letterbox(plane: np.ndarray, box: CropBox, size: int) -> np.ndarray:
    """Crop ``plane`` to ``box`` and fit it, aspect kept, into a black ``size`` square.

    A box reaching past the image (a fixed-millimetre square near the edge) is padded with black.
    """
    resized_h, resized_w, top, left = letterbox_geometry(box, size)
    height, width = plane.shape
    pads = (max(0, -box.top), max(0, box.bottom - height), max(0, -box.left), max(0, box.right - width))
    if any(pads):
        plane = cv2.copyMakeBorder(np.ascontiguousarray(plane, np.float32), *pads, cv2.BORDER_CONSTANT, value=0.0)
    crop = plane[box.top + pads[0] : box.bottom + pads[0], box.left + pads[2] : box.right + pads[2]]
    interpolation = cv2.INTER_AREA if max(box.height, box.width) > size else cv2.INTER_LINEAR
    square = np.zeros((size, size), np.float32)
    square[top : top + resized_h, left : left + resized_w] = cv2.resize(
        crop, (resized_w, resized_h), interpolation=interpolation
    )
    return square


def grey_planes(image: np.ndarray, has_hu: bool, params: PreprocessParams) -> list[np.ndarray]:
    """One grey 0..255 float32 plane per input channel (windowed HU, or the grey image repeated)."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D slice, got an array of shape {image.shape}")
    if has_hu:
        return [apply_window(image, window).astype(np.float32) for window in params.channels]
    return [np.clip(image, 0, 255)] * len(params.channels)


def normalise(square: np.ndarray, params: PreprocessParams) -> np.ndarray:
    """Map grey 0..255 planes ``[C, H, W]`` to the backbone's input range."""
    if params.normalisation == "minus_one_to_one":
        return (square / 127.5 - 1.0).astype(np.float32)
    channel_count = square.shape[0]
    mean = np.resize(_IMAGENET_MEAN, channel_count)[:, None, None]
    std = np.resize(_IMAGENET_STD, channel_count)[:, None, None]
    return ((square / 255.0 - mean) / std).astype(np.float32)


def prepare_grey_square(image: np.ndarray, has_hu: bool, params: PreprocessParams) -> tuple[np.ndarray, CropBox]:
    """Grey planes cropped to the body and letterboxed: ``[C, size, size]`` whole grey levels 0..255, and the crop box.

    Rounding to whole grey levels makes the input identical whether it is computed on the fly or read back from the
    8-bit squares cached for training; the shipped models react to sub-level differences by up to a few percent.
    """
    if has_hu and params.resample == "hu":
        return hu_square(image, params)
    planes = grey_planes(image, has_hu, params)
    box = body_box(planes[0], params)
    return np.rint(np.stack([letterbox(plane, box, params.size) for plane in planes])), box


def hu_square(image: np.ndarray, params: PreprocessParams) -> tuple[np.ndarray, CropBox]:
    """Grey planes ``[C, size, size]`` (0..255, not rounded) of a whole HU slice resized first, then windowed."""
    image = np.asarray(image, dtype=np.float32)
    box = CropBox(0, image.shape[0], 0, image.shape[1])
    air = np.float32(-1024.0)  # the letterbox pads with zero: shift so the padding reads as air
    square = letterbox(image - air, box, params.size) + air
    planes = [np.clip((square - (w.center - w.width / 2)) / w.width, 0.0, 1.0) * 255.0 for w in params.channels]
    return np.stack(planes).astype(np.float32), box


def prepare_input(image: np.ndarray, has_hu: bool, params: PreprocessParams) -> tuple[np.ndarray, CropBox]:
    """The network input ``[C, size, size]`` float32 for one 2-D slice, and the crop box it came from.

    Parameters
    ----------
    image : numpy.ndarray
        2-D slice: HU when ``has_hu``, else grey 0..255.
    has_hu : bool
        Whether ``image`` holds Hounsfield units.
    params : PreprocessParams
        From the model card.
    """
    square, box = prepare_grey_square(image, has_hu, params)
    return normalise(square, params), box


def map_to_image(heatmap: np.ndarray, box: CropBox, image_shape: tuple[int, int], size: int) -> np.ndarray:
    """Map a ``size`` x ``size`` heatmap back through the letterbox and crop onto the original image grid.

    The inverse of :func:`letterbox`: the part of the box that reaches past the image is dropped.
    """
    resized_h, resized_w, top, left = letterbox_geometry(box, size)
    inside = np.ascontiguousarray(heatmap[top : top + resized_h, left : left + resized_w], dtype=np.float32)
    whole = cv2.resize(inside, (box.width, box.height), interpolation=cv2.INTER_LINEAR)
    height, width = image_shape[:2]
    rows = slice(max(0, box.top), min(height, box.bottom))
    columns = slice(max(0, box.left), min(width, box.right))
    result = np.zeros(image_shape, np.float32)
    result[rows, columns] = whole[
        rows.start - box.top : rows.stop - box.top, columns.start - box.left : columns.stop - box.left
    ]
    return result
