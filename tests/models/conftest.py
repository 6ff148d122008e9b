"""A tiny hand-built model folder, saved and loaded through the real registry."""

from pathlib import Path

import pytest
from ai.fakes import BLOB_CLASSES, blob_card, blob_network

from lungview.models.preprocess import PreprocessParams
from lungview.models.registry import save_model

TINY_CLASSES = BLOB_CLASSES


def brightness_detector():
    """Tiny CNN (32 px) whose "tumour" logit grows with the mean brightness (:func:`ai.fakes.blob_network`)."""
    return blob_network(size=32, gain=4.0)


def tiny_card(**changes):
    """A card for :func:`brightness_detector` (32 px, grey input, no calibration)."""
    return blob_card(**{"id": "tiny", "preprocessing": PreprocessParams(size=32), **changes})


@pytest.fixture
def tiny_weights_dir(tmp_path: Path) -> Path:
    """``tmp_path/weights`` holding the model ``tiny``."""
    weights = tmp_path / "weights"
    save_model(weights / "tiny", brightness_detector(), tiny_card())
    return weights
