"""A tiny hand-built model folder, saved and loaded through the real registry."""

from pathlib import Path

import pytest
import torch

from lungview.models.backbones import build_classifier
from lungview.models.card import ModelCard
from lungview.models.preprocess import PreprocessParams
from lungview.models.registry import save_model

TINY_CLASSES = ("normal", "tumour")


def brightness_detector():
    """Tiny CNN whose only active channel passes brightness through, and whose "tumour" logit grows with it."""
    network, _ = build_classifier("tiny-cnn", len(TINY_CLASSES), size=32, pretrained=False)
    with torch.no_grad():
        for module in network.features.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.zero_()
                module.bias.zero_()
                module.weight[0, 0, 1, 1] = 1.0
        network.head.weight.zero_()
        network.head.bias.zero_()
        network.head.weight[1, 0] = 4.0
        network.head.weight[0, 0] = -4.0
    return network.eval()


def tiny_card(**changes) -> ModelCard:
    """A card for :func:`brightness_detector` (32 px, grey input, no calibration)."""
    values = dict(
        id="tiny",
        version="test",
        architecture="tiny-cnn",
        classes=TINY_CLASSES,
        cancer_classes=("tumour",),
        cancer_rule="P(tumour)",
        threshold=0.5,
        temperature=1.0,
        preprocessing=PreprocessParams(size=32),
        sha256="",
    )
    values.update(changes)
    return ModelCard(**values)


@pytest.fixture
def tiny_weights_dir(tmp_path: Path) -> Path:
    """``tmp_path/weights`` holding the model ``tiny``."""
    weights = tmp_path / "weights"
    save_model(weights / "tiny", brightness_detector(), tiny_card())
    return weights
