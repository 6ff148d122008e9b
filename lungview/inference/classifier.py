"""A slice classifier ready for the viewer and the command line: a verified model, its OOD reference, a back end.

:func:`load_classifier` is the slow part; run it in the background. It returns a :class:`SliceClassifier` that gives
calibrated predictions with an out-of-distribution score in one batched pass, and heatmaps on the original slice
grid, computed by one of two back ends:

- ``torch`` (:class:`~lungview.inference.torch_classifier.TorchClassifier`): the PyTorch weights, with an ONNX
  Runtime copy exported at load for the probabilities, and every Grad-CAM method of ``pytorch_grad_cam``;
- ``onnx`` (:class:`~lungview.inference.onnx_classifier.OnnxClassifier`): ONNX Runtime, numpy and OpenCV only,
  from the ONNX file shipped beside the weights; Grad-CAM only. The bundle built without PyTorch uses it.

Without a choice (``backend=None``), the environment variable ``LUNGVIEW_BACKEND`` (``torch`` or ``onnx``)
decides, else ``torch`` when PyTorch is installed and ``onnx`` when it is not. This module never imports torch.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lungview import paths
from lungview.models.card import CARD_FILE, WEIGHTS_FILE, ModelCard, ModelError, file_sha256, read_card
from lungview.models.ood import REFERENCE_FILE, FeatureReference
from lungview.models.prediction import (
    CAM_METHODS,
    Prediction,
    calibrated_probabilities,
    predictions_from_probabilities,
)
from lungview.models.preprocess import prepare_input

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx")
#: Environment variable that picks the back end (``torch`` or ``onnx``) when the caller does not.
BACKEND_VARIABLE = "LUNGVIEW_BACKEND"


@dataclass(frozen=True)
class Classification:
    """One slice's calibrated prediction and its out-of-distribution score (None without a reference)."""

    prediction: Prediction
    ood_score: float | None


class SliceClassifier:
    """What both back ends share: preprocessing, calibrated predictions and the OOD score of one model.

    Subclasses provide :meth:`logits_and_features`, :meth:`cam`, ``backend`` (what computes the probabilities,
    shown in the AI panel) and ``cam_methods`` (the heatmap methods they can compute).
    """

    backend: str
    cam_methods: tuple[str, ...]
    #: True when :meth:`cam` runs ``pytorch_grad_cam`` (see :func:`warm_up_cam`).
    uses_pytorch_grad_cam = False

    def __init__(self, card: ModelCard, reference: FeatureReference | None = None):
        self.card = card
        self.reference = reference

    @property
    def ood_threshold(self) -> float | None:
        """Scores above this are out of distribution; None without a reference."""
        return None if self.reference is None else self.reference.threshold

    def prepare(self, images: Sequence[np.ndarray], has_hu: bool) -> np.ndarray:
        """The preprocessed batch ``[N, C, size, size]`` (the window and crop of the model card)."""
        try:
            params = self.card.preprocessing
            return np.stack([prepare_input(image, has_hu, params)[0] for image in images])
        except ValueError as error:
            raise ModelError(f"the image cannot be classified: {error}") from None

    def logits_and_features(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated logits ``[N, classes]`` and pooled features ``[N, D]`` of a preprocessed batch."""
        raise NotImplementedError

    def classify_batch(self, batch: np.ndarray) -> list[Classification]:
        """Predictions with OOD scores for a preprocessed batch."""
        if len(batch) == 0:
            return []
        logits, features = self.logits_and_features(batch)
        predictions = predictions_from_probabilities(calibrated_probabilities(logits, self.card.temperature), self.card)
        if self.reference is None:
            scores = [None] * len(predictions)
        else:
            scores = [float(score) for score in self.reference.score(features)]
        return [Classification(prediction, score) for prediction, score in zip(predictions, scores)]

    def classify(self, images: Sequence[np.ndarray], has_hu: bool) -> list[Classification]:
        """Calibrated predictions with OOD scores for 2-D slices (HU when ``has_hu``, else grey 0..255)."""
        return self.classify_batch(self.prepare(images, has_hu)) if len(images) else []

    def cam(self, image: np.ndarray, has_hu: bool, class_name: str, method: str = "gradcam") -> np.ndarray:
        """Heatmap in [0, 1] on the grid of ``image`` for ``class_name`` (model attention, not lesion location)."""
        raise NotImplementedError

    def _check_cam_request(self, class_name: str, method: str) -> None:
        """ModelError when this back end cannot compute ``method`` or the model has no class ``class_name``."""
        if method not in CAM_METHODS:
            raise ModelError(f"unknown heatmap method {method!r}; choose one of {', '.join(CAM_METHODS)}")
        if method not in self.cam_methods:
            raise ModelError(
                f"the {method} heatmap needs PyTorch, which this build of LungView does not include; "
                f"it computes {', '.join(self.cam_methods)} only"
            )
        if class_name not in self.card.classes:
            raise ModelError(f"model {self.card.id!r} has no class {class_name!r}")


def selected_backend() -> str:
    """The back end to use when the caller names none: ``LUNGVIEW_BACKEND``, else ``torch`` if it is installed.

    Finding torch does not import it (that takes seconds).
    """
    chosen = os.environ.get(BACKEND_VARIABLE, "").strip().lower()
    if chosen in BACKENDS:
        return chosen
    if chosen:
        choices = ", ".join(BACKENDS)
        log.warning("%s=%s is not one of %s; choosing by what is installed", BACKEND_VARIABLE, chosen, choices)
    try:
        has_torch = importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        has_torch = False
    return "torch" if has_torch else "onnx"


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
    model_id: str,
    weights_dir: Path | None = None,
    fast: bool = True,
    onnx_cache: Path | None = None,
    backend: str | None = None,
    reuse_export: bool = False,
    threads: int | None = None,
) -> SliceClassifier:
    """Load and verify model ``model_id`` with its OOD reference on ``backend`` (slow: run it in a worker).

    ``backend`` is ``torch`` or ``onnx`` (None: :func:`selected_backend`). For ``torch``, ``fast`` adds the ONNX
    Runtime fast path and ``onnx_cache`` is a folder that keeps its export between sessions
    (:func:`default_onnx_cache`); the ``onnx`` back end reads the verified ``model.onnx`` beside the card.

    ``reuse_export`` is the viewer's and the commands' quick load: ``onnx_cache`` defaults to
    :func:`default_onnx_cache`, and where PyTorch is the chosen back end and the cache holds a verified export of
    exactly these weights (made by an earlier load), the model runs from it with ONNX Runtime and numpy; torch is
    imported only if a heatmap method other than Grad-CAM is asked for. Importing torch holds the GIL for a few
    hundred milliseconds while it loads its libraries, which would stall the window even from a worker thread.

    ``threads`` is the model's own intra-op thread count (its ONNX Runtime session's, and PyTorch's while it
    runs); None: :data:`~lungview.inference.onnx_session.INTRA_OP_THREADS` for ONNX Runtime, PyTorch's setting.

    Raises
    ------
    ModelError
        When the model is unknown, its weight or ONNX file does not match its card or manifest, or ``backend``
        is not one of :data:`BACKENDS`.
    """
    from lungview.inference.lesion_segmenter import is_segmentation_card, load_lesion_segmenter
    from lungview.inference.model_choice import current_model_id

    model_id = current_model_id(model_id)
    root = weights_dir or paths.weights_dir()
    if (root / model_id / CARD_FILE).is_file() and is_segmentation_card(read_card(root / model_id)):
        return load_lesion_segmenter(model_id, weights_dir, onnx_cache or default_onnx_cache(), threads or 2)
    if reuse_export:
        onnx_cache = onnx_cache or default_onnx_cache()
        if backend is None:
            cached = _from_cached_export(model_id, weights_dir, onnx_cache, threads)
            if cached is not None:
                return cached
    backend = backend or selected_backend()
    root = weights_dir or paths.weights_dir()
    if backend == "onnx":
        from lungview.inference.onnx_files import read_onnx_model

        folder = root / model_id
        if not folder.is_dir():
            raise ModelError(f"no model called {model_id!r} in {root}")
        card = read_card(folder)
        return _onnx_classifier(card, read_onnx_model(folder, card), weights_dir, threads=threads)
    if backend != "torch":
        raise ModelError(f"unknown back end {backend!r}; choose one of {', '.join(BACKENDS)}")
    from lungview.inference.fast_path import build_fast_path
    from lungview.inference.torch_classifier import TorchClassifier
    from lungview.models.registry import load_model

    model = load_model(model_id, weights_dir)
    params = model.card.preprocessing
    fast_path = None
    if fast:
        cache_folder = None if onnx_cache is None else onnx_cache / model.card.sha256
        fast_path = build_fast_path(
            model.network, len(params.channels), params.size, cache_folder, model.card, threads
        )
    return TorchClassifier(model, fast_path, load_reference(model.card, weights_dir), threads)


def _from_cached_export(
    model_id: str, weights_dir: Path | None, onnx_cache: Path, threads: int | None = None
) -> SliceClassifier | None:
    """The model run from its cached ONNX export when PyTorch is the back end and the export fits its weights."""
    root = weights_dir or paths.weights_dir()
    if selected_backend() != "torch" or not (root / model_id).is_dir():
        return None
    from lungview.inference.onnx_files import has_onnx_model, read_onnx_model

    card = read_card(root / model_id)
    cached = onnx_cache / card.sha256
    # the weight file must still be the one the card (and so the cache) names; if not, the PyTorch load says why
    if not (has_onnx_model(cached) and file_sha256(root / model_id / WEIGHTS_FILE) == card.sha256):
        return None
    try:
        classifier = _onnx_classifier(
            card, read_onnx_model(cached, card), weights_dir,
            lambda: load_classifier(model_id, weights_dir, onnx_cache=onnx_cache, backend="torch", threads=threads),
            threads,
        )
    except Exception as error:  # noqa: BLE001 - a damaged cache: the PyTorch load exports it again
        log.debug("the cached ONNX export of %s is not usable (%s)", model_id, error)
        return None
    log.debug("model %s runs from its cached ONNX export; torch is not imported", model_id)
    return classifier


def _onnx_classifier(
    card: ModelCard,
    onnx_model: bytes,
    weights_dir: Path | None,
    torch_fallback: Callable[[], SliceClassifier] | None = None,
    threads: int | None = None,
) -> SliceClassifier:
    """An :class:`~lungview.inference.onnx_classifier.OnnxClassifier` for verified ONNX bytes."""
    from lungview.inference.onnx_classifier import OnnxClassifier
    from lungview.inference.onnx_session import OnnxNetwork

    return OnnxClassifier(card, OnnxNetwork(onnx_model, threads), load_reference(card, weights_dir), torch_fallback)


def default_onnx_cache() -> Path:
    """Where the viewer and ``lungview predict`` keep ONNX exports: ``onnx-cache`` in the per-user data folder."""
    return paths.user_data_dir() / "onnx-cache"


def warm_up_cam(classifier: SliceClassifier) -> None:
    """Import the Grad-CAM package (seconds: it imports scikit-learn) on this worker if ``classifier`` uses it.

    Only the PyTorch back end does; the ONNX one computes Grad-CAM with numpy (and imports torch only on a request
    for another method).
    """
    if classifier.uses_pytorch_grad_cam:
        import pytorch_grad_cam  # noqa: F401
