"""The PyTorch back end: verified weights, an ONNX Runtime fast path for probabilities, every Grad-CAM method."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np
import torch

from lungview.inference.classifier import SliceClassifier
from lungview.inference.onnx_session import OnnxNetwork
from lungview.models.card import ModelError
from lungview.models.network import cam_target_layer
from lungview.models.prediction import CAM_METHODS
from lungview.models.preprocess import map_to_image, prepare_input
from lungview.models.registry import LoadedModel


class TorchClassifier(SliceClassifier):
    """Batched predictions (ONNX Runtime when available, else PyTorch) and PyTorch Grad-CAM for one model.

    Safe to share between worker threads: the fast path is re-entrant and the PyTorch network is used under a lock.
    """

    cam_methods = tuple(CAM_METHODS)
    uses_pytorch_grad_cam = True

    def __init__(self, model: LoadedModel, fast_path: OnnxNetwork | None = None, reference=None,
                 threads: int | None = None):
        super().__init__(model.card, reference)
        self.model = model
        self.fast_path = fast_path
        self.threads = threads
        """PyTorch's intra-op threads while this model classifies (None: leave PyTorch's setting)."""
        self._torch_lock = threading.Lock()

    @property
    def backend(self) -> str:
        """``"onnxruntime"`` or ``"torch"``: what computes the probabilities."""
        return "onnxruntime" if self.fast_path is not None else "torch"

    def logits_and_features(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uncalibrated logits ``[N, classes]`` and pooled features ``[N, D]`` of a preprocessed batch."""
        if self.fast_path is not None:
            return self.fast_path.run(batch)
        network = self.model.network
        with self._torch_lock, torch_threads(self.threads), torch.inference_mode():
            features = network.embed(torch.from_numpy(batch))
            return network.head(features).numpy(), features.numpy()

    def cam(self, image: np.ndarray, has_hu: bool, class_name: str, method: str = "gradcam") -> np.ndarray:
        """Heatmap in [0, 1] on the grid of ``image`` for ``class_name`` (model attention, not lesion location).

        With the fast path, ONNX Runtime computes the trunk and PyTorch only the target layer and the head, under
        ``pytorch_grad_cam``; otherwise the whole network runs in PyTorch.
        """
        self._check_cam_request(class_name, method)
        if self.fast_path is None:
            return self._whole_network_cam(image, has_hu, class_name, method)
        import pytorch_grad_cam
        from pytorch_grad_cam.utils.image import scale_cam_image
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        network = self.model.network
        params = self.card.preprocessing
        prepared, box = prepare_input(image, has_hu, params)
        trunk = torch.from_numpy(self.fast_path.trunk(prepared[None]))
        tail = torch.nn.Sequential(cam_target_layer(network), network.pool, torch.nn.Flatten(1), network.head).eval()
        target = ClassifierOutputTarget(self.card.classes.index(class_name))
        cam_class = getattr(pytorch_grad_cam, CAM_METHODS[method])
        with self._torch_lock, one_torch_thread(), torch.set_grad_enabled(True):
            with cam_class(model=tail, target_layers=[tail[0]]) as cam:
                coarse = cam(input_tensor=trunk, targets=[target])
        # As pytorch_grad_cam does for the whole network: normalise, resize to the input, normalise again.
        square = scale_cam_image(scale_cam_image(coarse, (params.size, params.size)))[0]
        heatmap = map_to_image(np.nan_to_num(square), box, np.asarray(image).shape, params.size)
        return np.clip(heatmap, 0.0, 1.0)

    def _whole_network_cam(self, image: np.ndarray, has_hu: bool, class_name: str, method: str) -> np.ndarray:
        """:meth:`cam` with the whole network in PyTorch, gradients only through the target layer and the head."""
        import pytorch_grad_cam
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

        params = self.card.preprocessing
        prepared, box = self._prepare_one(image, has_hu)
        network = self.model.network
        target_layer = cam_target_layer(network)
        cam_class = getattr(pytorch_grad_cam, CAM_METHODS[method])
        target = ClassifierOutputTarget(self.card.classes.index(class_name))
        with self._torch_lock, one_torch_thread(), _gradients_only_through(network, target_layer):
            with torch.set_grad_enabled(True):  # grad mode is per thread; a worker may start without it
                with cam_class(model=network, target_layers=[target_layer]) as cam:
                    square = cam(input_tensor=torch.from_numpy(prepared[None]), targets=[target])[0]
        square = np.nan_to_num(np.asarray(square, dtype=np.float32))
        heatmap = map_to_image(square, box, np.asarray(image).shape, params.size)
        return np.clip(heatmap, 0.0, 1.0)

    def _prepare_one(self, image: np.ndarray, has_hu: bool) -> tuple[np.ndarray, tuple]:
        """One preprocessed image ``[C, size, size]`` and the box that maps it back (ModelError when it cannot be)."""
        try:
            return prepare_input(image, has_hu, self.card.preprocessing)
        except ValueError as error:
            raise ModelError(f"the image cannot be classified: {error}") from None


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run PyTorch on ``threads`` intra-op threads for the duration, then restore its setting (None: no change)."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def one_torch_thread() -> contextlib.AbstractContextManager[None]:
    """Run PyTorch on one intra-op thread for the duration.

    Measured on the shared 2-core machine (load ~10): the Grad-CAM tail took 430-630 ms with two OpenMP threads,
    which spin against each other and everything else, and 135-155 ms with one.
    """
    return torch_threads(1)


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

