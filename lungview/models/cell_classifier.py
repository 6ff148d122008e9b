"""A slice classifier that scores every cell of the last feature map and answers with its most tumour-like cell.

A tumour fills a few cells of a whole real CT slice, so a global average pool drowns it in the rest of the chest.
Here the pool picks, per slice, the cell whose features the linear head scores as most tumour-like (max-pooling of
the cell scores, as in multiple-instance learning); the head then gives that cell's logits. Because only ``pool``
changes, ``embed``, ``head(embed(x)) == forward(x)``, the ONNX fast path and the out-of-distribution reference work
unchanged.

Grad-CAM on ``features[-1]`` averages the gradient of the chosen cell's logit over the map, which gives channel
weights proportional to the head's weights; the heatmap is therefore ReLU of the per-cell score map, i.e. every
cell that looks like tumour, not only the winning one.

Options of the :class:`~lungview.models.architecture.Architecture` (suffixes of its name):

- ``multi_scale`` (``-ms``): cells of 16 input pixels holding the stride-16 features and the upsampled stride-32
  ones (:class:`MultiScaleTail`), instead of the backbone's 32-px cells.
- ``lung_gate`` (``-lunggate``): a fixed (not learned) lung-field gate computed inside ``features`` from the
  input's lung-window channel: per cell, the fraction of lung density (-960 to -400 HU, so the air outside the
  body, about -1000, is not lung) and of tissue (> -500 HU); a cell is lung when it has lung density and cannot be
  reached from the image border without crossing tissue (inside the body); the gate is the lung cells grown by
  :data:`GATE_REACH_PX`. ``features[-1]`` multiplies its map by the gate, so cells outside it are exactly zero:
  the best-cell pool never picks them, the ONNX trunk, the PyTorch path and Grad-CAM (zero there) all see the
  same gate, and the image the backbone sees keeps its context (a mass beside the lung stays visible).
- ``mirror`` (``-mirror``): the map is the mean of the slice's and of its left-right mirror image's (flipped back),
  a test-time augmentation inside ``features`` (twice the compute), so every path sees the same averaged map.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from lungview.models.architecture import Architecture
from lungview.models.network import Classifier
from lungview.windowing import PRESETS

#: Hounsfield units of aerated lung for the lung gate: above the air outside the body (about -1000), below tissue.
GATE_LUNG_HU = (-960.0, -400.0)
#: Above this a pixel is tissue (the body).
GATE_TISSUE_HU = -500.0
#: A cell is lung when at least this fraction of it has lung density and it lies inside the body.
GATE_AIR_FRACTION = 0.25
#: The lung field is grown by about this many input pixels (24 mm at 0.75 mm), so masses on the pleura, hilum or
#: spine stay inside: one cell of a 32-px cell map, two of a 16-px one.
GATE_REACH_PX = 32
#: The input channel the gate reads: the lung window, normalised to [-1, 1] (the ``-lunggate`` input contract).
GATE_WINDOW = PRESETS["lung"]


def cell_logits(feature_map: torch.Tensor, head: nn.Linear) -> torch.Tensor:
    """The linear ``head`` applied to every cell: ``[N, D, H, W] -> [N, classes, H, W]``."""
    return nn.functional.conv2d(feature_map, head.weight[:, :, None, None], head.bias)


class BestCellPool(nn.Module):
    """Pool a feature map to its most tumour-like cell, ``[N, D, H, W] -> [N, D, 1, 1]``.

    The cell with the highest last-minus-first class margin under the head wins (last class = cancer, first =
    no cancer); all-zero cells (outside a lung gate) only when every cell is. ``head`` is a getter, so the head is
    not registered twice in the state dict.
    """

    def __init__(self, head: Callable[[], nn.Linear]):
        super().__init__()
        self._head = head

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        logits = cell_logits(feature_map, self._head())
        margin = (logits[:, -1] - logits[:, 0]).flatten(1)
        cells = feature_map.flatten(2)
        gated_out = cells.abs().sum(dim=1) == 0  # all-zero cells: outside the lung gate
        best = margin.masked_fill(gated_out, torch.finfo(margin.dtype).min).argmax(dim=1)
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


def _gate_level(hu: float) -> float:
    """Where ``hu`` falls in the gate channel (lung window mapped to [-1, 1])."""
    low = GATE_WINDOW.center - GATE_WINDOW.width / 2
    return (hu - low) / GATE_WINDOW.width * 2.0 - 1.0


def _fit_grid(planes: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Average-pool ``planes`` down to the grid of ``like`` (stages divide the grid by whole factors)."""
    factor = planes.shape[-1] // like.shape[-1]
    return planes if factor == 1 else nn.functional.avg_pool2d(planes, factor)


class StageWrapper(nn.Module):
    """A stage of ``features`` wrapped so it can carry or merge extra information; the stage stays ``.stage``."""

    def __init__(self, stage: nn.Module):
        super().__init__()
        self.stage = stage


class GateSource(StageWrapper):
    """The first stage: its output, with the input's lung-density and tissue fractions carried as two extra channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stage(x)
        return torch.cat([out, _fit_grid(gate_planes(x), out)], 1)


def gate_planes(x: torch.Tensor) -> torch.Tensor:
    """Per pixel of a network input ``[N, C, H, W]``: 1 where lung density, and 1 where tissue, ``[N, 2, H, W]``."""
    level = x[:, :1]
    low, high = (_gate_level(hu) for hu in GATE_LUNG_HU)
    return torch.cat([((level > low) & (level < high)).float(), (level > _gate_level(GATE_TISSUE_HU)).float()], 1)


class GateCarrier(StageWrapper):
    """A middle stage run on all but the two carried channels, which follow it down to its grid."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stage(x[:, :-2])
        return torch.cat([out, _fit_grid(x[:, -2:], out)], 1)


def lung_gate(air: torch.Tensor, tissue: torch.Tensor, reach: int) -> torch.Tensor:
    """The 0/1 gate ``[N, 1, H, W]`` from per-cell lung-density and tissue fractions ``[N, 1, H, W]``.

    Outside the body = the cells reachable from the image border through cells that are not tissue (a flood fill
    by repeated 4-neighbour max pooling, which ONNX has), so a table pad or a blanket is outside; lung = not outside
    with at least :data:`GATE_AIR_FRACTION` of lung density; the gate = lung grown by ``reach`` cells.
    """
    open_cells = (tissue <= 0.3).float()
    border = torch.ones_like(open_cells)
    border[..., 1:-1, 1:-1] = 0.0
    outside = border * open_cells
    for _ in range(open_cells.shape[-1] + open_cells.shape[-2]):
        spread = torch.maximum(
            nn.functional.max_pool2d(outside, (3, 1), stride=1, padding=(1, 0)),
            nn.functional.max_pool2d(outside, (1, 3), stride=1, padding=(0, 1)),
        )
        outside = spread * open_cells
    lung = (1.0 - outside) * (air >= GATE_AIR_FRACTION).float()
    return nn.functional.max_pool2d(lung, 2 * reach + 1, stride=1, padding=reach)


class GateApply(StageWrapper):
    """The last stage: its feature map times the lung gate (zero outside it), grown by ``reach`` cells."""

    def __init__(self, stage: nn.Module, reach: int):
        super().__init__(stage)
        self.reach = reach

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stage(x[:, :-2])
        planes = _fit_grid(x[:, -2:], out)
        return out * lung_gate(planes[:, :1], planes[:, 1:], self.reach)


def gated(features: nn.Sequential, reach: int) -> nn.Sequential:
    """``features`` with the lung gate: computed from the input by the first stage, applied by the last."""
    stages = list(features)
    carried = (GateCarrier(stage) for stage in stages[1:-1])
    return nn.Sequential(GateSource(stages[0]), *carried, GateApply(stages[-1], reach))


class MirrorSource(StageWrapper):
    """The first stage run on the batch followed by its left-right mirror images (twice the batch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stage(torch.cat([x, x.flip(-1)], 0))


class MirrorMerge(StageWrapper):
    """The last stage; then each slice's map averaged with its mirror image's map flipped back (half the batch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.stage(x)
        count = out.shape[0] // 2
        return (out[:count] + out[count:].flip(-1)) / 2


def mirrored(features: nn.Sequential) -> nn.Sequential:
    """``features`` whose map is the mean of the slice's and of its mirror image's (test-time augmentation inside)."""
    stages = list(features)
    return nn.Sequential(MirrorSource(stages[0]), *stages[1:-1], MirrorMerge(stages[-1]))


class MultiScaleTail(nn.Module):
    """The last stages of a backbone run on a stride-16 map, their output upsampled back to it and stacked on it.

    A cell of the result (16 input pixels) holds both the fine stride-16 features and the deep stride-32 ones, so
    the cell map is twice as fine as the backbone's last map for the cost of one bilinear upsampling.
    """

    def __init__(self, tail: nn.Sequential):
        super().__init__()
        self.tail = tail

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        deep = self.tail(x)
        upsampled = nn.functional.interpolate(deep, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([x, upsampled], 1)


def multi_scale(features: nn.Sequential, split: int) -> nn.Sequential:
    """``features`` whose stages from ``split`` on form one :class:`MultiScaleTail` (the map keeps stage
    ``split - 1``'s grid)."""
    stages = list(features)
    return nn.Sequential(*stages[:split], MultiScaleTail(nn.Sequential(*stages[split:])))


def build_cell_classifier(
    architecture: Architecture,
    features: nn.Sequential,
    feature_dim: int,
    class_count: int,
    dropout: float,
    multi_scale_split: int = 0,
) -> CellMaxClassifier:
    """The cell classifier ``architecture`` asks for on the backbone's ``features``.

    ``multi_scale`` needs ``multi_scale_split`` (the first stage of the stride-32 tail) of the backbone.
    """
    cell_px = 32
    if architecture.multi_scale:
        features, cell_px = multi_scale(features, multi_scale_split), 16
    if architecture.lung_gate:
        features = gated(features, max(1, GATE_REACH_PX // cell_px))
    if architecture.mirror:
        features = mirrored(features)
    return CellMaxClassifier(features, feature_dim, class_count, dropout)
