"""The classifier every architecture builds: ``features`` -> pool -> dropout -> linear head; its Grad-CAM layer.

``features`` is one ``nn.Sequential`` of stages, so that training can cut it into a frozen trunk
``features[:top_start]`` and trainable top blocks ``features[top_start:]``, and Grad-CAM always targets
``features[-1]``, the last feature map before pooling.
"""

from __future__ import annotations

import torch
from torch import nn


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


def cam_target_layer(model: Classifier) -> nn.Module:
    """The layer Grad-CAM explains: the last feature stage before pooling, for every architecture."""
    return model.features[-1]
