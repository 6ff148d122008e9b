"""Evaluate a shipped model on its splits: logits from the shipped file, metrics with CIs, calibration, targets."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lungview.inference.classifier import SliceClassifier
from lungview.models.preprocess import read_grey_image
from lungview.training.audit import ImageRecord
from lungview.training.calibration import calibration_measures, reliability_bins, softmax
from lungview.training.metrics import evaluate_predictions
from lungview.training.splits import DataSplit

log = logging.getLogger(__name__)

#: The slice classifiers' targets: (split, metric) -> minimum value (ECE is a maximum).
TARGETS = {
    ("official_test", "accuracy"): 0.95,
    ("official_test", "macro_auc"): 0.99,
    ("dedup_test", "accuracy"): 0.93,
    ("official_test", "sensitivity"): 0.99,
    ("official_test", "specificity"): 0.95,
    ("official_test", "sensitivity_at_95_specificity"): 0.99,
}
ECE_TARGET = 0.03


@dataclass(frozen=True)
class SplitLogits:
    """Uncalibrated logits and class indices of one split, with the records they belong to."""

    records: tuple[ImageRecord, ...]
    logits: np.ndarray
    labels: np.ndarray


def split_logits(
    classifier: SliceClassifier,
    records: Sequence[ImageRecord],
    root: Path,
    batch_size: int = 16,
    progress: Callable[[Iterable], Iterable] = iter,
) -> SplitLogits:
    """Logits of the shipped model for every record (images read by content, grey, through the one preprocessing)."""
    chunks = []
    for start in progress(range(0, len(records), batch_size)):
        images = [read_grey_image(root / r.path) for r in records[start : start + batch_size]]
        logits, _ = classifier.logits_and_features(classifier.prepare(images, has_hu=False))
        chunks.append(logits)
    classes = classifier.card.classes
    labels = np.array([classes.index(r.label) for r in records], dtype=np.int64)
    logits = np.concatenate(chunks) if chunks else np.zeros((0, len(classes)))
    return SplitLogits(tuple(records), logits, labels)


def _subset(logits: SplitLogits, records: Sequence[ImageRecord]) -> SplitLogits:
    row = {r.path: i for i, r in enumerate(logits.records)}
    index = [row[r.path] for r in records]
    return SplitLogits(tuple(records), logits.logits[index], logits.labels[index])


def evaluate_model(
    classifier: SliceClassifier,
    split: DataSplit,
    root: Path,
    resamples: int = 1000,
    progress: Callable[[Iterable], Iterable] = iter,
) -> dict:
    """Every measured number of the report: official and de-duplicated test side by side, calibration, targets."""
    card = classifier.card
    cancer_columns = [card.classes.index(name) for name in card.cancer_classes]
    valid = split_logits(classifier, split.valid, root, progress=progress)
    test = split_logits(classifier, split.test, root, progress=progress)
    dedup = _subset(test, split.test_dedup)
    results = {"splits": {}, "calibration": {}, "reliability": {}}
    for name, part in (("official_test", test), ("dedup_test", dedup)):
        probabilities = softmax(part.logits, card.temperature)
        results["splits"][name] = evaluate_predictions(
            probabilities, part.labels, card.classes, cancer_columns, card.threshold, resamples
        )
    for name, part in (("valid", valid), ("official_test", test)):
        before, after = softmax(part.logits, 1.0), softmax(part.logits, card.temperature)
        results["calibration"][name] = {
            "before": calibration_measures(before, part.labels),
            "after": calibration_measures(after, part.labels),
        }
        results["reliability"][name] = {
            "before": reliability_bins(before, part.labels),
            "after": reliability_bins(after, part.labels),
        }
    results["targets"] = target_table(results)
    results["test_predictions"] = [
        {"path": r.path, "label": r.label, "probabilities": p.tolist()}
        for r, p in zip(test.records, softmax(test.logits, card.temperature))
    ]
    return results


def target_table(results: dict) -> list[dict]:
    """The slice classifiers' targets (:data:`TARGETS`) with the measured value and whether each is met."""
    rows = []
    for (split_name, metric), goal in TARGETS.items():
        value = results["splits"][split_name]["metrics"][metric]["value"]
        rows.append({"target": f"{split_name} {metric} >= {goal}", "measured": value, "met": bool(value >= goal)})
    ece = results["calibration"]["official_test"]["after"]["ece_15"]
    rows.append(
        {
            "target": f"official_test ECE (15 bins) after calibration <= {ECE_TARGET}",
            "measured": ece,
            "met": bool(ece <= ECE_TARGET),
        }
    )
    return rows
