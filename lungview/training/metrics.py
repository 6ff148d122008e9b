"""Classification metrics with 95 % bootstrap confidence intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support, roc_auc_score, roc_curve

from lungview.training.calibration import calibration_measures


def _macro_auc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    present = np.unique(labels)
    if len(present) < 2:
        return float("nan")
    aucs = [roc_auc_score(labels == c, probabilities[:, c]) for c in present]
    return float(np.mean(aucs))


def _sensitivity(is_cancer: np.ndarray, flagged: np.ndarray) -> float:
    return float(flagged[is_cancer].mean()) if is_cancer.any() else float("nan")


def _specificity(is_cancer: np.ndarray, flagged: np.ndarray) -> float:
    return float((~flagged[~is_cancer]).mean()) if (~is_cancer).any() else float("nan")


def _sensitivity_at_specificity(is_cancer: np.ndarray, cancer_score: np.ndarray, specificity: float = 0.95) -> float:
    """Highest sensitivity of any threshold whose specificity is at least ``specificity`` (the ROC operating point)."""
    if is_cancer.all() or not is_cancer.any():
        return float("nan")
    fpr, tpr, _ = roc_curve(is_cancer, cancer_score)
    return float(tpr[fpr <= 1 - specificity + 1e-12].max())


def classification_scores(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Top-1 accuracy and macro F1 over every class column of ``probabilities``."""
    predicted = probabilities.argmax(axis=1)
    return {
        "accuracy": float((predicted == labels).mean()),
        "macro_f1": float(
            f1_score(labels, predicted, average="macro", labels=range(probabilities.shape[1]), zero_division=0)
        ),
    }


def scalar_metrics(
    probabilities: np.ndarray, labels: np.ndarray, cancer_columns: Sequence[int], threshold: float
) -> dict[str, float]:
    """Accuracy, macro F1, macro one-vs-rest AUC, cancer sensitivity/specificity at ``threshold``, ECE."""
    is_cancer = np.isin(labels, cancer_columns)
    cancer_score = probabilities[:, list(cancer_columns)].sum(axis=1)
    flagged = cancer_score >= threshold
    return {
        **classification_scores(probabilities, labels),
        "macro_auc": _macro_auc(labels, probabilities),
        "sensitivity": _sensitivity(is_cancer, flagged),
        "specificity": _specificity(is_cancer, flagged),
        "sensitivity_at_95_specificity": _sensitivity_at_specificity(is_cancer, cancer_score),
        "ece_15": calibration_measures(probabilities, labels)["ece_15"],
    }


def bootstrap_intervals(
    metric: Callable[[np.ndarray], dict[str, float]], count: int, resamples: int = 1000, seed: int = 0
) -> dict[str, list[float]]:
    """95 % percentile intervals of every value ``metric(indices)`` returns, over ``resamples`` bootstrap draws."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(resamples):
        for name, value in metric(rng.integers(0, count, count)).items():
            draws.setdefault(name, []).append(value)
    intervals = {}
    for name, values in draws.items():
        finite = np.asarray(values)[np.isfinite(values)]  # a draw without both classes has no AUC
        intervals[name] = (
            [float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))]
            if finite.size
            else [float("nan")] * 2
        )
    return intervals


def evaluate_predictions(
    probabilities: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
    cancer_columns: Sequence[int],
    threshold: float,
    resamples: int = 1000,
) -> dict:
    """Every number of the report for one split: scalars with CIs, per-class table, confusion matrix, ROC curves."""
    point = scalar_metrics(probabilities, labels, cancer_columns, threshold)
    intervals = bootstrap_intervals(
        lambda idx: scalar_metrics(probabilities[idx], labels[idx], cancer_columns, threshold), len(labels), resamples
    )
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, probabilities.argmax(1), labels=range(len(classes)), zero_division=0
    )
    roc = {}
    for column, name in enumerate(classes):
        if 0 < (labels == column).sum() < len(labels):
            fpr, tpr, _ = roc_curve(labels == column, probabilities[:, column])
            roc[name] = {
                "fpr": fpr.tolist(),
                "tpr": tpr.tolist(),
                "auc": float(roc_auc_score(labels == column, probabilities[:, column])),
            }
    return {
        "images": int(len(labels)),
        "metrics": {name: {"value": value, "ci95": intervals.get(name)} for name, value in point.items()},
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(classes)
        },
        "confusion_matrix": confusion_matrix(labels, probabilities.argmax(1), labels=range(len(classes))).tolist(),
        "roc": roc,
        "calibration": calibration_measures(probabilities, labels),
    }
