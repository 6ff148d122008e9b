"""Temperature scaling (Guo et al. 2017) and the calibration measures reported before and after it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from lungview.models.prediction import calibrated_probabilities


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T > 0 that minimises the NLL of ``softmax(logits / T)`` on held-out ``labels``."""
    logits_t = torch.from_numpy(np.asarray(logits, np.float64))
    labels_t = torch.from_numpy(np.asarray(labels)).long()
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits_t / log_t.exp(), labels_t)
        loss.backward()
        return loss

    optimiser.step(closure)
    return float(np.clip(log_t.exp().item(), 0.05, 20.0))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature`` in float64 (for metrics)."""
    return calibrated_probabilities(logits, temperature, np.float64)


def reliability_bins(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> dict[str, list[float]]:
    """Per equal-width confidence bin: mean confidence, accuracy and count (top-1)."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    result = {"confidence": [], "accuracy": [], "count": []}
    for b in range(bins):
        members = index == b
        result["count"].append(int(members.sum()))
        result["confidence"].append(float(confidence[members].mean()) if members.any() else float("nan"))
        result["accuracy"].append(float(correct[members].mean()) if members.any() else float("nan"))
    return result


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Top-1 ECE over ``bins`` equal-width confidence bins."""
    table = reliability_bins(probabilities, labels, bins)
    total = sum(table["count"])
    return float(
        sum(n * abs(acc - conf) for n, acc, conf in zip(table["count"], table["accuracy"], table["confidence"]) if n)
        / total
    )


def calibration_measures(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """ECE (15 bins), negative log-likelihood and multi-class Brier score."""
    onehot = np.eye(probabilities.shape[1])[labels]
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0)
    return {
        "ece_15": expected_calibration_error(probabilities, labels),
        "nll": float(-np.log(picked).mean()),
        "brier": float(((probabilities - onehot) ** 2).sum(axis=1).mean()),
    }


def threshold_for_sensitivity(
    cancer_probability: np.ndarray, is_cancer: np.ndarray, sensitivity: float = 0.98
) -> float:
    """The highest threshold at which at least ``sensitivity`` of the cancer images score at or above it."""
    scores = np.sort(np.asarray(cancer_probability)[np.asarray(is_cancer, bool)])
    if len(scores) == 0:
        return 0.5
    allowed_misses = int(np.floor((1 - sensitivity) * len(scores) + 1e-9))
    return float(scores[allowed_misses])


def out_of_fold_logits(
    fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], groups: np.ndarray, folds: int
) -> np.ndarray:
    """Every sample's logits from a model fitted without its group: k folds over whole groups (``GroupKFold``).

    ``fit_predict(fit_index, held_index)`` fits on the samples ``fit_index`` and returns logits of ``held_index``.
    """
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(groups)
    logits = None
    for fit_index, held_index in GroupKFold(min(folds, len(np.unique(groups)))).split(groups, groups=groups):
        held = fit_predict(fit_index, held_index)
        logits = np.zeros((len(groups), held.shape[1])) if logits is None else logits
        logits[held_index] = held
    return logits
