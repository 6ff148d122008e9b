"""Resolution ensembles: classifiers trained at different input sides, their logits averaged, as one Classifier.

Every member reads the same preprocessed square, at the largest side. A smaller member resamples it to its own side
inside the network and resamples its last trunk map to the largest member's grid before its last stage, so all
members end on one grid. The ensemble's ``features`` has two stages, :class:`EnsembleTrunks` (the members' trunks,
concatenated along channels) and :class:`EnsembleHeads` (each member's last stage on its own channels), and its
linear head holds every member's head divided by the number of members. Its logits are therefore exactly the mean
of the members' logits, and Grad-CAM of ``features[-1]`` (in PyTorch or from the ONNX class maps) is Grad-CAM of
that mean on the shared grid: the viewer, the fast path and the OOD reference need not know it is an ensemble.

An ensemble's architecture has its members' sides (``Architecture.sizes``), e.g. ``efficientnet-lite0-sizes-288-352``;
:func:`lungview.models.backbones.build_classifier` builds it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from lungview.models.network import Classifier


class Resample(nn.Module):
    """Bilinear resampling of ``[N, C, H, W]`` to ``side × side`` (a fixed ONNX Resize)."""

    def __init__(self, side: int):
        super().__init__()
        self.side = side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.interpolate(x, size=(self.side, self.side), mode="bilinear", align_corners=False)


class EnsembleTrunks(nn.Module):
    """Every member's ``features[:-1]`` on the same input, concatenated along channels (one grid)."""

    def __init__(self, trunks: list[nn.Module]):
        super().__init__()
        self.trunks = nn.ModuleList(trunks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([trunk(x) for trunk in self.trunks], dim=1)


class EnsembleHeads(nn.Module):
    """Every member's last stage ``features[-1]`` on its own, equal share of the concatenated trunk's channels.

    The members share one backbone, so their trunks have the same channel count.
    """

    def __init__(self, stages: list[nn.Module]):
        super().__init__()
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([stage(part) for stage, part in zip(self.stages, x.chunk(len(self.stages), dim=1))], dim=1)


def member_top_start(top_start: int, stage_count: int, resampled: bool) -> int:
    """Where a member's top blocks start: a resampled member has one stage more in front and one before its last."""
    if not resampled:
        return top_start
    return top_start + 1 if top_start < stage_count else top_start + 2


def _trunk_grid(network: Classifier, channels: int, side: int) -> int:
    """The side of ``network``'s last trunk map for a ``side`` px input."""
    with torch.inference_mode():
        return network.features[:-1].eval()(torch.zeros(1, channels, side, side)).shape[-1]


def build_members(
    build: Callable[[int], tuple[Classifier, str]], sides: tuple[int, ...], channels: int = 3
) -> tuple[list[Classifier], str]:
    """One network per side, made by ``build(side)``, all reading squares of the largest side; and where their
    weights came from.

    The largest member is a plain network; every other resamples its input to its side and its last trunk map to the
    largest member's grid.
    """
    sides = tuple(sorted(sides))
    largest, source = build(sides[-1])
    grid = _trunk_grid(largest, channels, sides[-1])
    members = []
    for side in sides[:-1]:
        member, _ = build(side)
        stages = list(member.features)
        member.features = nn.Sequential(Resample(side), *stages[:-1], Resample(grid), stages[-1])
        members.append(member)
    return [*members, largest], source


def combine(members: list[Classifier]) -> Classifier:
    """The ensemble of trained ``members`` (as :func:`build_members` made them) as one :class:`Classifier`."""
    features = nn.Sequential(
        EnsembleTrunks([member.features[:-1] for member in members]),
        EnsembleHeads([member.features[-1] for member in members]),
    )
    heads = [member.head for member in members]
    network = Classifier(features, sum(head.in_features for head in heads), heads[0].out_features, members[0].dropout.p)
    with torch.no_grad():
        network.head.weight.copy_(torch.cat([head.weight for head in heads], dim=1) / len(heads))
        network.head.bias.copy_(torch.stack([head.bias for head in heads]).mean(0))
    return network.eval()

