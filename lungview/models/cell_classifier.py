"""A slice classifier that scores every cell of the last feature map and answers with its most tumour-like cell.

Issue 9: a tumour fills a few cells of a whole real CT slice, so the global average pool of the issue-4 design
drowns it in the rest of the chest. Here the linear head scores each cell of ``features[-1]`` (a 1x1 convolution
with the head's weights) and the slice's logits are those of the cell with the highest cancer margin
(max-pooling, as in multiple-instance learning). ``embed`` returns that cell's feature vector, so
``head(embed(x)) == forward(x)`` and the ONNX fast path and the out-of-distribution reference work unchanged.

Grad-CAM on ``features[-1]`` averages the gradient of the chosen cell's logit over the map, which gives channel
weights proportional to the head's weights; the heatmap is therefore ReLU of the per-cell score map, i.e. the cells
that look like tumour, not only the winning one.
"""

from __future__ import annotations

import torch

from lungview.models.backbones import Classifier


class CellMaxClassifier(Classifier):
    """``features`` -> linear head on every cell -> logits of the cell with the highest last-minus-first margin.

    The last class is the cancer class and the first the no-cancer class (for ``ct-tumour-slice``:
    ``("no tumour", "tumour")``).
    """

    def cell_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every cell ``[N, classes, rows, columns]``."""
        return self._cell_logits(self.features(x))

    def _cell_logits(self, feature_map: torch.Tensor) -> torch.Tensor:
        weight = self.head.weight[:, :, None, None]
        return torch.nn.functional.conv2d(feature_map, weight, self.head.bias)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Feature vector ``[N, feature_dim]`` of each slice's most tumour-like cell."""
        feature_map = self.features(x)
        logits = self._cell_logits(feature_map)
        margin = (logits[:, -1] - logits[:, 0]).flatten(1)
        best = margin.argmax(dim=1)
        cells = feature_map.flatten(2)
        index = best[:, None, None].expand(-1, cells.shape[1], 1)
        return torch.gather(cells, 2, index).squeeze(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))
