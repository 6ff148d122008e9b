"""A slice classifier that scores every cell of the last feature map and answers with its most tumour-like cell.

Issue 9: a tumour fills a few cells of a whole real CT slice, so the global average pool of the issue-4 design
drowns it in the rest of the chest. Here the pool picks, per slice, the cell whose features the linear head scores
as most tumour-like (max-pooling of the cell scores, as in multiple-instance learning); the head then gives that
cell's logits. Because only ``pool`` changes, ``embed``, ``head(embed(x)) == forward(x)``, the ONNX fast path and
the out-of-distribution reference work unchanged.

Grad-CAM on ``features[-1]`` averages the gradient of the chosen cell's logit over the map, which gives channel
weights proportional to the head's weights; the heatmap is therefore ReLU of the per-cell score map, i.e. every
cell that looks like tumour, not only the winning one.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from lungview.models.backbones import Classifier


def cell_logits(feature_map: torch.Tensor, head: nn.Linear) -> torch.Tensor:
    """The linear ``head`` applied to every cell: ``[N, D, H, W] -> [N, classes, H, W]``."""
    return nn.functional.conv2d(feature_map, head.weight[:, :, None, None], head.bias)


class BestCellPool(nn.Module):
    """Pool a feature map to its most tumour-like cell, ``[N, D, H, W] -> [N, D, 1, 1]``.

    The cell with the highest last-minus-first class margin under the head wins (last class = cancer, first =
    no cancer). ``head`` is a getter, so the head is not registered twice in the state dict.
    """

    def __init__(self, head: Callable[[], nn.Linear]):
        super().__init__()
        self._head = head

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        logits = cell_logits(feature_map, self._head())
        best = (logits[:, -1] - logits[:, 0]).flatten(1).argmax(dim=1)
        cells = feature_map.flatten(2)
        index = best[:, None, None].expand(-1, cells.shape[1], 1)
        return torch.gather(cells, 2, index)[..., None]


class CellMaxClassifier(Classifier):
    """``features`` -> the most tumour-like cell -> linear head; ``("no tumour", "tumour")`` for ct-tumour-slice."""

    def __init__(self, features: nn.Sequential, feature_dim: int, class_count: int, dropout: float = 0.3):
        super().__init__(features, feature_dim, class_count, dropout)
        self.pool = BestCellPool(lambda: self.head)

    def cell_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every cell ``[N, classes, rows, columns]``."""
        return cell_logits(self.features(x), self.head)
