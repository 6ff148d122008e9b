"""What a classifier answers, without torch: the prediction record, calibration and the heatmap methods."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lungview.models.card import ModelCard

#: DICOM PixelSpacing of a slice in mm (row, column), one number, or None when unknown.
Spacing = float | tuple[float, float] | None

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
    """Calibrated class probabilities for one slice, the cancer probability and the most likely class."""

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


def predictions_from_probabilities(probabilities: np.ndarray, card: ModelCard) -> list[Prediction]:
    """One :class:`Prediction` per row of calibrated ``probabilities`` ``[N, classes]`` of ``card``'s model."""
    cancer_columns = [card.classes.index(name) for name in card.cancer_classes]
    return [
        Prediction(
            probabilities={name: float(p) for name, p in zip(card.classes, row)},
            cancer_probability=float(row[cancer_columns].sum()),
            predicted=card.classes[int(np.argmax(row))],
        )
        for row in probabilities
    ]
