"""A miniature chest-CT-4class folder written in ``tmp_path``: real file quirks, synthetic pixels."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CLASS_FOLDERS = {
    "train": [
        "adenocarcinoma_left.lower.lobe",
        "large.cell.carcinoma_left.hilum",
        "normal",
        "squamous.cell.carcinoma_left.hilum",
    ],
    "valid": [
        "adenocarcinoma_left.lower.lobe",
        "large.cell.carcinoma_left.hilum",
        "normal",
        "squamous.cell.carcinoma_left.hilum",
    ],
    "test": ["adenocarcinoma", "large.cell.carcinoma", "normal", "squamous.cell.carcinoma"],
}


def synthetic_slice(class_index: int, seed: int, size: int = 48) -> np.ndarray:
    """A grey "body" ellipse with a bright blob whose position depends on the class (normal has none)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    image = np.zeros((size, size), np.float32)
    image[((yy - size / 2) / (size * 0.4)) ** 2 + ((xx - size / 2) / (size * 0.45)) ** 2 <= 1] = 90
    if class_index != 2:
        cy, cx = [(0.35, 0.35), (0.35, 0.65), None, (0.65, 0.5)][class_index]
        image[((yy - cy * size) ** 2 + (xx - cx * size) ** 2) <= (size * 0.1) ** 2] = 230
    return np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)


@pytest.fixture
def mini_chest_ct(tmp_path: Path) -> Path:
    """``Data/<split>/<class folder>/`` with 6/2/3 images per class, one exact copy of a train image in test."""
    root = tmp_path / "chest"
    seed = 0
    for split, per_class in (("train", 6), ("valid", 2), ("test", 3)):
        for class_index, folder in enumerate(CLASS_FOLDERS[split]):
            target = root / "Data" / split / folder
            target.mkdir(parents=True)
            for k in range(per_class):
                seed += 1
                Image.fromarray(synthetic_slice(class_index, seed)).save(target / f"{k}.png")
    copy = (root / "Data/train/normal/0.png").read_bytes()
    (root / "Data/test/normal/0 - Copy.png").write_bytes(copy)
    return root
