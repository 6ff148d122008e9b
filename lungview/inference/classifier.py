"""A slice classifier ready for the viewer and the command line: a verified model, its fast path and OOD reference.

:func:`load_classifier` is the slow part (torch, weights, ONNX export, the Grad-CAM package); run it in the
background. :class:`SliceClassifier` then gives calibrated predictions with an out-of-distribution score in one
batched pass, and Grad-CAM heatmaps on the original slice grid.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lungview import paths
from lungview.inference.fast_path import EXPORT_FORMAT, OnnxFastPath, build_fast_path
from lungview.models import LoadedModel, ModelCard, ModelError, Prediction, load_model
from lungview.models.backbones import cam_target_layer
from lungview.models.ood import REFERENCE_FILE, FeatureReference
from lungview.models.predict import CAM_METHODS, Spacing
from lungview.models.preprocess import map_to_image, prepare_input

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Classification:
    """One slice's calibrated prediction and its out-of-distribution score (None without a reference)."""

    prediction: Prediction
    ood_score: float | None


class SliceClassifier:
    """Batched predictions (ONNX Runtime when available, else PyTorch) and PyTorch Grad-CAM for one model.

    Safe to share between worker threads: the fast path is re-entrant and the PyTorch network is used under a lock.
    """

    def __init__(self, model: LoadedModel, fast_path: OnnxFastPath | None = None, reference: FeatureReference | None = None):
        self.model = model
        self.card: ModelCard = model.card
        self.fast_path = fast_path
        self.reference = reference
        self._torch_lock = threading.Lock()

    @property
    def backend(self) -> str:
        """``"onnxruntime"`` or ``"torch"``: what computes the probabilities."""
        return "onnxruntime" if self.fast_path is not None else "torch"

    @property
    def ood_threshold(self) -> float | None:
        """Scores above this are out of distribution; None without a reference."""
        return None if self.reference is None else self.reference.threshold

    def prepare(self, images: Sequence[np.ndarray], has_hu: bool, pixel_spacing: Spacing = None) -> np.ndarray:
        """The preprocessed batch ``[N, C, size, size]`` (the window and crop of the model card).

        ``pixel_spacing`` is the DICOM PixelSpacing (mm) of the images, for cards that resample to a fixed pixel size.
        """
        try:
            return np.stack([prepare_input(image, has_hu, self.card.preprocessing, pixel_spacing)[0] for image in images])
        except ValueError as error:
            raise ModelError(f"the image cannot be classified: {error}") from None

    def logits_and_features(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated logits ``[N, classes]`` and pooled features ``[N, D]`` of a preprocessed batch."""
        if self.fast_path is not None:
            return self.fast_path.run(batch)
        network = self.model.network
        with self._torch_lock, torch.inference_mode():
            features = network.embed(torch.from_numpy(batch))
            return network.head(features).numpy(), features.numpy()

    def classify_batch(self, batch: np.ndarray) -> list[Classification]:
        """Predictions with OOD scores for a preprocessed batch."""
        if len(batch) == 0:
            return []
        logits, features = self.logits_and_features(batch)
        predictions = self.model.probabilities_from_logits(torch.from_numpy(np.asarray(logits)))
        scores = [None] * len(predictions) if self.reference is None else [float(s) for s in self.reference.score(features)]
        return [Classification(prediction, score) for prediction, score in zip(predictions, scores)]

    def classify(self, images: Sequence[np.ndarray], has_hu: bool, pixel_spacing: Spacing = None) -> list[Classification]:
        """Calibrated predictions with OOD scores for 2-D slices (HU when ``has_hu``, else grey 0..255)."""
        return self.classify_batch(self.prepare(images, has_hu, pixel_spacing)) if len(images) else []

    def cam(
        self, image: np.ndarray, has_hu: bool, class_name: str, method: str = "gradcam", pixel_spacing: Spacing = None
    ) -> np.ndarray:
        """Heatmap in [0, 1] on the grid of ``image`` for ``class_name`` (model attention, not lesion location).

        With the fast path, ONNX Runtime computes the trunk and PyTorch only the target layer and the head, under
        ``pytorch_grad_cam``; otherwise the whole network runs in PyTorch (:meth:`LoadedModel.cam`).
        """
        network = self.model.network
        if self.fast_path is None:
            with self._torch_lock, _one_torch_thread(), _gradients_only_through(network, cam_target_layer(network)):
                return self.model.cam(image, has_hu, class_name, method, pixel_spacing)
        if method not in CAM_METHODS:
            raise ModelError(f"unknown heatmap method {method!r}; choose one of {', '.join(CAM_METHODS)}")
        if class_name not in self.card.classes:
            raise ModelError(f"model {self.card.id!r} has no class {class_name!r}")
        import pytorch_grad_cam
        from pytorch_grad_cam.utils.image import scale_cam_image
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        params = self.card.preprocessing
        prepared, box = prepare_input(image, has_hu, params, pixel_spacing)
        trunk = torch.from_numpy(self.fast_path.trunk(prepared[None]))
        tail = torch.nn.Sequential(cam_target_layer(network), network.pool, torch.nn.Flatten(1), network.head).eval()
        target = ClassifierOutputTarget(self.card.classes.index(class_name))
        cam_class = getattr(pytorch_grad_cam, CAM_METHODS[method])
        with self._torch_lock, _one_torch_thread(), torch.set_grad_enabled(True):
            with cam_class(model=tail, target_layers=[tail[0]]) as cam:
                coarse = cam(input_tensor=trunk, targets=[target])
        # As pytorch_grad_cam does for the whole network: normalise, resize to the input, normalise again.
        square = scale_cam_image(scale_cam_image(coarse, (params.size, params.size)))[0]
        heatmap = map_to_image(np.nan_to_num(square), box, np.asarray(image).shape, params.size)
        return np.clip(heatmap, 0.0, 1.0)


@contextlib.contextmanager
def _one_torch_thread() -> Iterator[None]:
    """Run PyTorch on one intra-op thread for the duration.

    Measured on the shared 2-core machine (load ~10): the Grad-CAM tail took 430-630 ms with two OpenMP threads,
    which spin against each other and everything else, and 135-155 ms with one.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@contextlib.contextmanager
def _gradients_only_through(network: torch.nn.Module, target: torch.nn.Module) -> Iterator[None]:
    """Let autograd track only the CAM target layer and what follows it (the head).

    Grad-CAM needs the gradient at the target layer's output, which depends only on the layers after it; without
    this, the backward pass also computes every earlier weight's gradient, for nothing.
    """
    keep = {id(p) for p in target.parameters()} | {id(p) for p in getattr(network, "head", network).parameters()}
    saved = [(p, p.requires_grad) for p in network.parameters()]
    try:
        for parameter, _ in saved:
            parameter.requires_grad_(id(parameter) in keep)
        yield
    finally:
        for parameter, flag in saved:
            parameter.requires_grad_(flag)


def load_reference(card: ModelCard, weights_dir: Path | None = None) -> FeatureReference | None:
    """The model's out-of-distribution reference (``ood.npz`` beside its card) if it was fitted for these weights."""
    path = (weights_dir or paths.weights_dir()) / card.id / REFERENCE_FILE
    if not path.is_file():
        return None
    try:
        reference = FeatureReference.load(path)
    except ValueError as error:
        log.warning("%s; the OOD score is off for model %s", error, card.id)
        return None
    if reference.model_sha256 != card.sha256:
        log.warning("the OOD reference of model %s was fitted for other weights; the OOD score is off", card.id)
        return None
    return reference


def load_classifier(
    model_id: str, weights_dir: Path | None = None, fast: bool = True, onnx_cache: Path | None = None
) -> SliceClassifier:
    """Load and verify model ``model_id`` with its fast path and OOD reference (slow: run it in a worker).

    ``onnx_cache`` is a folder that keeps the ONNX export between sessions (:func:`default_onnx_cache`).

    Raises
    ------
    ModelError
        When the model is unknown or its weight file does not match its card.
    """
    model = load_model(model_id, weights_dir)
    params = model.card.preprocessing
    fast_path = None
    if fast:
        cache_file = None if onnx_cache is None else onnx_cache / f"{model.card.sha256}-v{EXPORT_FORMAT}.onnx"
        fast_path = build_fast_path(model.network, len(params.channels), params.size, cache_file)
    return SliceClassifier(model, fast_path, load_reference(model.card, weights_dir))


def default_onnx_cache() -> Path:
    """Where the viewer and ``lungview predict`` keep ONNX exports: ``onnx-cache`` in the per-user data folder."""
    return paths.user_data_dir() / "onnx-cache"


def warm_up_cam() -> None:
    """Import the Grad-CAM package (seconds: it imports scikit-learn) on this worker, never at start-up."""
    import pytorch_grad_cam  # noqa: F401
