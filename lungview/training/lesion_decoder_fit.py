"""Fit the lesion network's decoder on cached encoder features with Dice + cross-entropy, and run it on them.

The encoder is frozen (ImageNet EfficientNet-Lite0), so each sample's four feature maps are computed once
(:mod:`lungview.training.lesion_features`); a fit then costs only the decoder's forward and backward passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lungview.models.lesion_unet import Decoder


@dataclass
class Features:
    """The encoder's four feature maps of every sample (float16, ``[n, C, h, w]`` each) and the targets."""

    maps: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    targets: np.ndarray

    def batch(self, rows: np.ndarray) -> tuple[list[torch.Tensor], torch.Tensor]:
        maps = [torch.from_numpy(m[rows].astype(np.float32)) for m in self.maps]
        return maps, torch.from_numpy(self.targets[rows].astype(np.float32))[:, None]


@dataclass(frozen=True)
class FitConfig:
    epochs: int = 10
    batch_size: int = 16
    negative_share: float = 0.4
    """Share of the tumour-free samples drawn afresh for each epoch (every sample with tumour is used)."""
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    dice_weight: float = 1.0
    seed: int = 0


def dice_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Soft Dice loss over the whole batch (one region: the tumour)."""
    probabilities = torch.sigmoid(logits)
    overlap = (probabilities * targets).sum()
    return 1 - (2 * overlap + 1) / (probabilities.sum() + targets.sum() + 1)


def fit_decoder(features: Features, rows: np.ndarray, config: FitConfig = FitConfig()) -> Decoder:
    """A decoder trained on samples ``rows`` of ``features`` (AdamW, cosine learning rate)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    decoder = Decoder()
    optimiser = torch.optim.AdamW(decoder.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    positive = rows[features.targets[rows].reshape(len(rows), -1).max(axis=1) > 0]
    negative = np.setdiff1d(rows, positive)
    per_epoch = len(positive) + int(round(config.negative_share * len(negative)))
    steps = config.epochs * int(np.ceil(per_epoch / config.batch_size))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.learning_rate, total_steps=steps)
    cross_entropy = nn.BCEWithLogitsLoss()
    decoder.train()
    for _ in range(config.epochs):
        drawn = rng.choice(negative, per_epoch - len(positive), replace=False)
        order = rng.permutation(np.concatenate([positive, drawn]))
        for start in range(0, len(order), config.batch_size):
            maps, targets = features.batch(np.sort(order[start : start + config.batch_size]))
            logits = decoder(*maps)
            loss = cross_entropy(logits, targets) + config.dice_weight * dice_loss(logits, targets)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
    return decoder.eval()


@torch.inference_mode()
def decoder_probabilities(decoder: Decoder, features: Features, rows: np.ndarray, size: int) -> np.ndarray:
    """Tumour probabilities ``[len(rows), size, size]`` of samples ``rows`` (logits upsampled, then sigmoid, as
    the shipped network does)."""
    out = []
    for start in range(0, len(rows), 32):
        maps, _ = features.batch(rows[start : start + 32])
        logits = nn.functional.interpolate(decoder(*maps), size=(size, size), mode="bilinear", align_corners=False)
        out.append(torch.sigmoid(logits)[:, 0].numpy())
    return np.concatenate(out) if out else np.zeros((0, size, size), np.float32)
