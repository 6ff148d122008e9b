"""The back end without PyTorch: ONNX Runtime for the network, numpy for calibration, OOD score and Grad-CAM.

Grad-CAM without gradients: the classifiers LungView ships end in a linear layer on the global average pool of the
last feature map ``A``. The gradient of class ``c``'s logit, averaged over the ``h × w`` positions as Grad-CAM
does, is ``w_ck / (h w)`` for channel ``k``, so Grad-CAM is ``ReLU(sum_k w_ck A_k) / (h w)``: the exported
``class_maps`` output, scaled. The normalise, resize and normalise-again steps below are those of
``pytorch_grad_cam`` (``BaseCAM.forward``, ``scale_cam_image``), so the heatmap equals the PyTorch back end's
(``tests/ai/test_onnx_classifier.py`` checks it against ``pytorch_grad_cam``). Other CAM methods need gradients or
eigen-decompositions that only PyTorch provides here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

from lungview.inference.classifier import SliceClassifier
from lungview.inference.onnx_session import OnnxNetwork
from lungview.models.card import ModelCard
from lungview.models.ood import FeatureReference
from lungview.models.prediction import CAM_METHODS
from lungview.models.preprocess import map_to_image, prepare_input


class OnnxClassifier(SliceClassifier):
    """Predictions, OOD scores and Grad-CAM of one model from its verified ONNX file; no torch for any of them.

    ``torch_fallback`` (where PyTorch is installed) loads the PyTorch back end of the same weights on the first
    request for another heatmap method; without it only Grad-CAM is offered. Safe to share between worker threads
    (ONNX Runtime sessions are re-entrant; the fallback loads once, under a lock).
    """

    def __init__(
        self,
        card: ModelCard,
        network: OnnxNetwork,
        reference: FeatureReference | None = None,
        torch_fallback: Callable[[], SliceClassifier] | None = None,
    ):
        super().__init__(card, reference)
        self.network = network
        self._torch_fallback = torch_fallback
        self._fallback_lock = threading.Lock()
        self._fallback: SliceClassifier | None = None
        self.backend = "onnxruntime" if torch_fallback else "onnxruntime, no PyTorch"
        self.cam_methods = tuple(CAM_METHODS) if torch_fallback else ("gradcam",)

    def logits_and_features(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated logits ``[N, classes]`` and pooled features ``[N, D]`` of a preprocessed batch."""
        return self.network.run(batch)

    def cam(self, image: np.ndarray, has_hu: bool, class_name: str, method: str = "gradcam") -> np.ndarray:
        """Grad-CAM in [0, 1] on the grid of ``image`` for ``class_name`` (model attention, not lesion location).

        Another ``method`` runs on the PyTorch fallback; ModelError without one.
        """
        self._check_cam_request(class_name, method)
        if method != "gradcam":
            return self._pytorch_back_end().cam(image, has_hu, class_name, method)
        params = self.card.preprocessing
        prepared, box = prepare_input(image, has_hu, params)
        class_map = self.network.class_maps(prepared[None])[0, self.card.classes.index(class_name)]
        coarse = np.maximum(class_map / np.float32(class_map.size), 0.0)
        square = _normalise(cv2.resize(_normalise(coarse), (params.size, params.size)))
        heatmap = map_to_image(np.nan_to_num(square), box, np.asarray(image).shape, params.size)
        return np.clip(heatmap, 0.0, 1.0)

    def _pytorch_back_end(self) -> SliceClassifier:
        """The PyTorch back end of the same weights, loaded on first use (imports torch: seconds)."""
        with self._fallback_lock:
            if self._fallback is None:
                self._fallback = self._torch_fallback()
            return self._fallback


def _normalise(cam: np.ndarray) -> np.ndarray:
    """``pytorch_grad_cam.utils.image.scale_cam_image`` for one map: shift to 0, divide by (1e-7 + maximum)."""
    shifted = np.float32(cam) - np.min(cam)
    return np.float32(shifted / (1e-7 + np.max(shifted)))
