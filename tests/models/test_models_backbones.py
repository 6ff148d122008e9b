"""Backbones build for every supported architecture and share one head and one CAM target layer."""

import pytest
import torch

from lungview.models.backbones import backbone_spec, build_classifier
from lungview.models.network import cam_target_layer

#: Every backbone.
ARCHITECTURES = ("efficientnet-lite0", "mobilenet_v2", "resnet18", "resnet50", "tiny-cnn")


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_backbone_builds_and_classifies(name):
    torch.manual_seed(0)
    network, source = build_classifier(name, class_count=3, size=64, pretrained=False)
    with torch.no_grad():
        logits = network.eval()(torch.zeros(2, 3, 64, 64))
    assert logits.shape == (2, 3)
    assert "random" in source
    assert cam_target_layer(network) is network.features[-1]
    assert 0 < backbone_spec(name).top_start < len(network.features)


def test_torchvision_without_cached_weights_says_it_trains_from_scratch(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    _, source = build_classifier("resnet18", class_count=2, size=64, pretrained=True)
    assert "trains from scratch" in source


def test_unknown_backbone_names_the_choices():
    with pytest.raises(ValueError, match="efficientnet-lite0"):
        backbone_spec("vgg16")
