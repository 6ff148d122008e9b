"""What a classifier answers, without torch: the prediction record, calibration and the heatmap methods."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lungview.models.card import ModelCard

#: Grad-CAM method name -> class name in ``pytorch_grad_cam``.
CAM_METHODS: dict[str, str] = {
    "gradcam": "GradCAM",
    "gradcam++": "GradCAMPlusPlus",
    "hirescam": "HiResCAM",
    "layercam": "LayerCAM",
    "eigencam": "EigenCAM",
}


@dataclass(frozen=True)
class Prediction:
    """Calibrated class probabilities for one slice, the cancer probability and the class it is shown as (the
    likeliest class on the side of the card's threshold that the cancer probability falls)."""

    probabilities: dict[str, float]
    cancer_probability: float
    predicted: str


def calibrated_probabilities(logits: np.ndarray, temperature: float = 1.0, dtype: type = np.float32) -> np.ndarray:
    """Temperature-scaled softmax of ``logits`` ``[N, classes]``, computed in ``dtype``.

    float32 (the default) is what ``torch.softmax`` computes, so both back ends agree; training metrics use float64.
    """
    scaled = np.asarray(logits, dtype=dtype) / dtype(temperature)
    exponentials = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def decided_class(probabilities: dict[str, float], card: ModelCard, cancer_probability: float) -> str:
    """The class a slice is shown as: the likeliest cancer class when the cancer probability reaches the card's
    threshold, else the likeliest other class, so the label, the flag and every screen agree."""
    if card.threshold is None or not card.cancer_classes or len(card.cancer_classes) == len(card.classes):
        return max(probabilities, key=probabilities.get)
    flagged = cancer_probability >= card.threshold
    pool = [name for name in card.classes if (name in card.cancer_classes) == flagged]
    return max(pool, key=lambda name: probabilities[name])


def predictions_from_probabilities(probabilities: np.ndarray, card: ModelCard) -> list[Prediction]:
    """One :class:`Prediction` per row of calibrated ``probabilities`` ``[N, classes]`` of ``card``'s model."""
    cancer_columns = [card.classes.index(name) for name in card.cancer_classes]
    predictions = []
    for row in probabilities:
        named = {name: float(p) for name, p in zip(card.classes, row)}
        cancer = float(row[cancer_columns].sum())
        predictions.append(
            Prediction(probabilities=named, cancer_probability=cancer, predicted=decided_class(named, card, cancer))
        )
    return predictions
