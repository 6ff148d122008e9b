"""Two-stage transfer learning on cached trunk activations, with early stopping on validation macro-F1.

Stage 1 trains a new dropout + linear head on pooled features of the frozen backbone. Stage 2 also unfreezes the
top blocks (``features[top_start:]``) at a lower learning rate; their batch-norm statistics stay frozen, which
suits a few hundred images. Both stages read the trunk activations cached once per image and view, so each
epoch costs only the top of the network.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from lungview.models.network import Classifier


@dataclass(frozen=True)
class StageSettings:
    """Optimiser and stopping settings of one stage."""

    epochs: int
    learning_rate: float
    patience: int
    batch_size: int = 32
    weight_decay: float = 1e-4
    schedule: str = "constant"  # or "cosine": the rate falls to 0 over ``epochs`` (cosine annealing)


@dataclass
class FitHistory:
    """Per-epoch curves of one stage (for the report) and the epoch kept."""

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    valid_macro_f1: list[float] = field(default_factory=list)
    best_epoch: int = -1

    def to_dict(self) -> dict:
        return {
            "train_loss": self.train_loss,
            "valid_loss": self.valid_loss,
            "valid_macro_f1": self.valid_macro_f1,
            "best_epoch": self.best_epoch,
        }


def class_weights(labels: np.ndarray, class_count: int) -> torch.Tensor:
    """Inverse-frequency weights, mean 1 over the training images."""
    counts = np.bincount(labels, minlength=class_count).astype(np.float64)
    weights = len(labels) / (class_count * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)


def _macro_f1(logits: torch.Tensor, labels: np.ndarray) -> float:
    return float(f1_score(labels, logits.argmax(1).numpy(), average="macro", zero_division=0))


def _top(network: Classifier, top_start: int) -> nn.Module:
    return network.features[top_start:]


def top_logits(network: Classifier, top_start: int, trunk: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Logits of the whole network from cached trunk activations ``[N, ...]`` (eval mode, no grad)."""
    network.eval()
    with torch.inference_mode():
        chunks = [
            network.head(torch.flatten(network.pool(_top(network, top_start)(trunk[i : i + batch_size].float())), 1))
            for i in range(0, len(trunk), batch_size)
        ]
    return torch.cat(chunks)


def _run_stage(
    network: Classifier,
    forward: Callable[[torch.Tensor], torch.Tensor],
    parameters: list[nn.Parameter],
    train_inputs: torch.Tensor,
    train_labels: np.ndarray,
    valid_logits: Callable[[], torch.Tensor],
    valid_labels: np.ndarray,
    settings: StageSettings,
    seed: int,
    progress: Callable[[Iterable], Iterable],
) -> FitHistory:
    """Adam on class-weighted cross-entropy; one random view per image per epoch; keeps the best epoch."""
    generator = torch.Generator().manual_seed(seed)
    class_count = network.head.out_features
    loss_fn = nn.CrossEntropyLoss(weight=class_weights(train_labels, class_count))
    optimiser = torch.optim.Adam(parameters, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, settings.epochs)
        if settings.schedule == "cosine"
        else None
    )
    labels = torch.from_numpy(train_labels).long()
    valid_targets = torch.from_numpy(valid_labels).long()
    history, best_state, best_score, waited = FitHistory(), None, -1.0, 0
    for epoch in progress(range(settings.epochs)):
        network.train()
        network.features.eval()  # batch-norm statistics stay as pretrained
        order = torch.randperm(len(labels), generator=generator)
        views = torch.randint(train_inputs.shape[1], (len(labels),), generator=generator)
        total = 0.0
        for start in range(0, len(order), settings.batch_size):
            index = order[start : start + settings.batch_size]
            logits = forward(train_inputs[index, views[index]].float())
            loss = loss_fn(logits, labels[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(index)
        if scheduler is not None:
            scheduler.step()
        valid = valid_logits()
        history.train_loss.append(total / len(labels))
        history.valid_loss.append(float(nn.functional.cross_entropy(valid, valid_targets)))
        score = _macro_f1(valid, valid_labels)
        history.valid_macro_f1.append(score)
        if score > best_score + 1e-9 or (
            abs(score - best_score) <= 1e-9 and history.valid_loss[-1] < min(history.valid_loss[:-1])
        ):
            best_score, best_state, waited, history.best_epoch = score, copy.deepcopy(network.state_dict()), 0, epoch
        else:
            waited += 1
            if waited >= settings.patience:
                break
    network.load_state_dict(best_state)
    network.eval()
    return history


def pooled_features(network: Classifier, top_start: int, trunk: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Frozen pooled features ``[N, views, D]`` from cached trunk activations ``[N, views, ...]``."""
    network.eval()
    flat = trunk.flatten(0, 1)
    with torch.inference_mode():
        pooled = torch.cat(
            [
                torch.flatten(network.pool(_top(network, top_start)(flat[i : i + batch_size].float())), 1)
                for i in range(0, len(flat), batch_size)
            ]
        )
    return pooled.view(trunk.shape[0], trunk.shape[1], -1)


def average_states(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of state dicts; for linear heads on the same features this averages their logits."""
    return {
        name: torch.stack([state[name].float() for state in states]).mean(0).to(states[0][name].dtype)
        for name in states[0]
    }


def fit_head(
    network: Classifier,
    train_features: torch.Tensor,
    train_labels: np.ndarray,
    valid_features: torch.Tensor,
    valid_labels: np.ndarray,
    settings: StageSettings,
    seed: int,
    progress: Callable[[Iterable], Iterable] = iter,
) -> FitHistory:
    """Stage 1: train only dropout + linear head on frozen pooled features ``[N, views, D]``."""
    torch.manual_seed(seed)
    nn.init.normal_(network.head.weight, std=0.01)
    nn.init.zeros_(network.head.bias)

    def valid_logits() -> torch.Tensor:
        with torch.inference_mode():
            return network.head(valid_features[:, 0].float())

    return _run_stage(
        network,
        lambda features: network.head(network.dropout(features)),
        list(network.head.parameters()),
        train_features,
        train_labels,
        valid_logits,
        valid_labels,
        settings,
        seed,
        progress,
    )


def fit_top(
    network: Classifier,
    top_start: int,
    train_trunk: torch.Tensor,
    train_labels: np.ndarray,
    valid_trunk: torch.Tensor,
    valid_labels: np.ndarray,
    settings: StageSettings,
    seed: int,
    progress: Callable[[Iterable], Iterable] = iter,
) -> FitHistory:
    """Stage 2: fine-tune the top blocks and the head on cached trunk activations ``[N, views, ...]``."""
    torch.manual_seed(seed)
    top = _top(network, top_start)
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    trainable = [*top.parameters(), *network.head.parameters()]
    for parameter in trainable:
        parameter.requires_grad_(True)

    def forward(trunk: torch.Tensor) -> torch.Tensor:
        return network.head(network.dropout(torch.flatten(network.pool(top(trunk)), 1)))

    history = _run_stage(
        network,
        forward,
        trainable,
        train_trunk,
        train_labels,
        lambda: top_logits(network, top_start, valid_trunk[:, 0]),
        valid_labels,
        settings,
        seed,
        progress,
    )
    for parameter in network.parameters():
        parameter.requires_grad_(True)
    return history
