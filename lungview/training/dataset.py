"""Training images: preprocessed grey squares, CT-suitable augmentation, and cached frozen-trunk activations."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
import torch

from lungview.models.network import Classifier
from lungview.models.preprocess import PreprocessParams, normalise, prepare_grey_square, read_grey_image
from lungview.training.audit import ImageRecord

log = logging.getLogger(__name__)


def load_squares(
    records: Sequence[ImageRecord],
    root: Path,
    params: PreprocessParams,
    progress: Callable[[Iterable], Iterable] = iter,
) -> np.ndarray:
    """Every record read by content, cropped to the body and letterboxed: ``[N, C, size, size]`` uint8."""
    squares = np.zeros((len(records), len(params.channels), params.size, params.size), np.uint8)
    for i, record in enumerate(progress(records)):
        square, _ = prepare_grey_square(read_grey_image(root / record.path), has_hu=False, params=params)
        squares[i] = square.astype(np.uint8)
    return squares


def augment(square: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A CT-suitable random view of a ``[C, H, W]`` grey square.

    Small rotation (±10°), scale (0.9-1.1) and shift (±6 %), horizontal flip, and mild contrast/brightness
    (gain 0.9-1.1, offset ±10 grey levels), the same for every channel and class.
    """
    _, height, width = square.shape
    angle = rng.uniform(-10, 10)
    scale = rng.uniform(0.9, 1.1)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    matrix[:, 2] += rng.uniform(-0.06, 0.06, size=2) * (width, height)
    flip = rng.random() < 0.5
    gain, offset = rng.uniform(0.9, 1.1), rng.uniform(-10, 10)
    planes = []
    for plane in square.astype(np.float32):
        warped = cv2.warpAffine(plane, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=0.0)
        planes.append(warped[:, ::-1] if flip else warped)
    return np.clip(np.stack(planes) * gain + offset, 0, 255).astype(np.float32)


def network_batch(squares: np.ndarray, params: PreprocessParams) -> torch.Tensor:
    """Grey squares ``[N, C, H, W]`` (0..255) as a normalised float32 tensor."""
    return torch.from_numpy(np.stack([normalise(square.astype(np.float32), params) for square in squares]))


def cache_trunk(
    network: Classifier,
    top_start: int,
    squares: np.ndarray,
    params: PreprocessParams,
    views: int,
    seed: int,
    batch_size: int = 32,
    progress: Callable[[Iterable], Iterable] = iter,
) -> torch.Tensor:
    """Frozen-trunk activations ``[N, views, ...]`` (float16): view 0 plain, the others augmented."""
    rng = np.random.default_rng(seed)
    trunk = network.features[:top_start].eval()
    outputs = []
    with torch.inference_mode():
        for start in progress(range(0, len(squares), batch_size)):
            chunk = squares[start : start + batch_size]
            per_view = []
            for view in range(views):
                images = chunk.astype(np.float32) if view == 0 else np.stack([augment(s, rng) for s in chunk])
                per_view.append(trunk(network_batch(images, params)).half())
            outputs.append(torch.stack(per_view, dim=1))
    return torch.cat(outputs)


def trunk_cache_key(
    records: Sequence[ImageRecord], params: PreprocessParams, architecture: str, top_start: int, views: int, seed: int
) -> str:
    """A digest of everything the cached trunk activations depend on (images, preprocessing, cut, views, seed)."""
    described = {
        "images": [(r.path, r.pixel_md5) for r in records],
        "params": params.to_dict(),
        "architecture": architecture,
        "top_start": top_start,
        "views": views,
        "seed": seed,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:20]


def cached(cache_dir: Path | None, key: str, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
    """``compute()``, read from / written to ``cache_dir/trunk-<key>.pt`` when a cache folder is given."""
    if cache_dir is None:
        return compute()
    path = Path(cache_dir) / f"trunk-{key}.pt"
    if path.is_file():
        log.info("trunk activations read from %s", path)
        return torch.load(path, weights_only=True)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(value, path)
    return value
