"""A loaded model: calibrated batched predictions and Grad-CAM heatmaps on the original image grid.

``Prediction``, ``Spacing`` and ``CAM_METHODS`` live in the torch-free :mod:`lungview.models.prediction`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import torch

from lungview.models.backbones import Classifier, cam_target_layer
from lungview.models.card import ModelCard, ModelError
from lungview.models.prediction import (
    CAM_METHODS,
    Prediction,
    Spacing,
    calibrated_probabilities,
    predictions_from_probabilities,
)
from lungview.models.preprocess import map_to_image, prepare_input

__all__ = ["CAM_METHODS", "LoadedModel", "Prediction", "Spacing"]


class LoadedModel:
    """A verified network with its card; :meth:`predict` and :meth:`cam` are safe to call from one worker thread."""

    def __init__(self, card: ModelCard, network: Classifier):
        self.card = card
        self.network = network.eval()
        self._lock = threading.Lock()

    def _batch(
        self, images: Sequence[np.ndarray], has_hu: bool, pixel_spacing: Spacing = None
    ) -> tuple[torch.Tensor, list]:
        try:
            prepared = [prepare_input(image, has_hu, self.card.preprocessing, pixel_spacing) for image in images]
        except ValueError as error:
            raise ModelError(f"the image cannot be classified: {error}") from None
        return torch.from_numpy(np.stack([array for array, _ in prepared])), [box for _, box in prepared]

    def probabilities_from_logits(self, logits: torch.Tensor) -> list[Prediction]:
        """Temperature-scaled softmax of ``logits`` ``[N, classes]`` as predictions."""
        probabilities = calibrated_probabilities(logits.detach().float().numpy(), self.card.temperature)
        return predictions_from_probabilities(probabilities, self.card)

    def logits(self, images: Sequence[np.ndarray], has_hu: bool, pixel_spacing: Spacing = None) -> torch.Tensor:
        """Uncalibrated network outputs ``[N, classes]`` for 2-D slices (``pixel_spacing``: DICOM PixelSpacing, mm)."""
        batch, _ = self._batch(images, has_hu, pixel_spacing)
        with self._lock, torch.inference_mode():
            return self.network(batch)

    def predict(self, images: Sequence[np.ndarray], has_hu: bool, pixel_spacing: Spacing = None) -> list[Prediction]:
        """Calibrated predictions for 2-D slices (HU when ``has_hu``, else grey 0..255), one per image.

        ``pixel_spacing`` (DICOM PixelSpacing in mm, shared by the images) lets a card that asks for a fixed pixel
        size resample; other models ignore it.
        """
        if len(images) == 0:
            return []
        return self.probabilities_from_logits(self.logits(images, has_hu, pixel_spacing))

    def cam(
        self,
        image: np.ndarray,
        has_hu: bool,
        class_name: str | None = None,
        method: str = "gradcam",
        pixel_spacing: Spacing = None,
    ) -> np.ndarray:
        """Heatmap in [0, 1] with the shape of ``image`` showing where the network looked for ``class_name``.

        ``class_name`` defaults to the predicted class. ``method`` is one of :data:`CAM_METHODS`. The heatmap
        shows model attention, not lesion location.
        """
        if method not in CAM_METHODS:
            raise ModelError(f"unknown heatmap method {method!r}; choose one of {', '.join(CAM_METHODS)}")
        if class_name is not None and class_name not in self.card.classes:
            raise ModelError(f"model {self.card.id!r} has no class {class_name!r}")
        import pytorch_grad_cam
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        batch, boxes = self._batch([image], has_hu, pixel_spacing)
        cam_class = getattr(pytorch_grad_cam, CAM_METHODS[method])
        with self._lock, torch.set_grad_enabled(True):  # grad mode is per thread; a worker may start without it
            if class_name is None:
                with torch.no_grad():
                    class_index = int(self.network(batch).argmax(1)[0])
            else:
                class_index = self.card.classes.index(class_name)
            with cam_class(model=self.network, target_layers=[cam_target_layer(self.network)]) as cam:
                square = cam(input_tensor=batch, targets=[ClassifierOutputTarget(class_index)])[0]
        square = np.nan_to_num(np.asarray(square, dtype=np.float32))
        heatmap = map_to_image(square, boxes[0], np.asarray(image).shape, self.card.preprocessing.size)
        return np.clip(heatmap, 0.0, 1.0)
