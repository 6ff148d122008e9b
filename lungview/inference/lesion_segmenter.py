"""The lesion segmentation model loaded for use: its card, ONNX Runtime for the probability maps, PyTorch on demand
for Grad-CAM.

``model.pt`` (verified against the card's SHA-256) is exported once to ONNX into the per-user cache and run with
ONNX Runtime from then on; torch is imported only for that export and for a Grad-CAM request.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from lungview import paths
from lungview.detection.finder import LesionFinder
from lungview.inference.model_choice import LESION_MODEL, current_model_id
from lungview.models.card import WEIGHTS_FILE, ModelCard, ModelError, file_sha256, read_card

log = logging.getLogger(__name__)

#: The architecture name a segmentation model's card carries.
ARCHITECTURE = "efficientnet-lite0-unet"
ONNX_FILE = "lesion-unet.onnx"


def is_segmentation_card(card: ModelCard) -> bool:
    return card.architecture == ARCHITECTURE


class LesionSegmenter:
    """Tumour probability maps of network inputs, and Grad-CAM of the tumour output."""

    backend = "onnxruntime"
    cam_methods = ("gradcam",)
    uses_pytorch_grad_cam = True
    ood_threshold = None

    def __init__(self, card: ModelCard, weights: Path, onnx_path: Path, threads: int = 2):
        import onnxruntime as ort

        self.card = card
        self._weights = weights
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._network = None
        self._lock = threading.Lock()

    @property
    def input_size(self) -> int:
        return int(self.card.segmentation["input_size"])

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """``[n, size, size]`` tumour probabilities of network inputs ``[n, 3, size, size]``."""
        logits = self._session.run(None, {"input": np.ascontiguousarray(inputs, np.float32)})[0]
        return (1.0 / (1.0 + np.exp(-logits[:, 0]))).astype(np.float32)

    def network(self):
        """The PyTorch network (built and loaded on first use)."""
        with self._lock:
            if self._network is None:
                self._network = torch_network(self.card, self._weights)
            return self._network

    def cam(self, image: np.ndarray, has_hu: bool, class_name: str, method: str = "gradcam") -> np.ndarray:
        """Grad-CAM of the tumour output over the slice's predicted tumour pixels (the whole map where there are
        none), on the slice grid, in [0, 1]: where the network looked, not a lesion outline.

        Only the slice itself is given here, so its neighbouring planes are taken as the slice."""
        from lungview.models.lesion_attention import segmentation_cam

        if method != "gradcam" or class_name not in self.card.cancer_classes or not has_hu:
            raise ModelError(f"model {self.card.id!r} gives Grad-CAM of {self.card.cancer_classes[0]!r} on CT only")
        return segmentation_cam(self.network(), image, self.input_size)


def torch_network(card: ModelCard, weights: Path):
    """The network with its trained weights (PyTorch)."""
    import torch

    from lungview.models.lesion_unet import build_lesion_unet

    network, _ = build_lesion_unet(pretrained=False, size=int(card.segmentation["input_size"]))
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return network.eval()


def export_onnx(card: ModelCard, weights: Path, path: Path) -> Path:
    """The network as ONNX at ``path`` (dynamic batch), written atomically."""
    import warnings

    import torch

    size = int(card.segmentation["input_size"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            torch_network(card, weights), torch.zeros(1, 3, size, size), str(partial), input_names=["input"],
            output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, dynamo=False,
        )
    partial.replace(path)
    return path


def load_lesion_segmenter(
    model_id: str, weights_dir: Path | None = None, onnx_cache: Path | None = None, threads: int = 2
) -> LesionSegmenter:
    """Load and verify a segmentation model (exported to ONNX into ``onnx_cache`` on first use).

    Raises
    ------
    ModelError
        When the model is unknown, not a segmentation model, or its weights do not match its card.
    """
    root = weights_dir or paths.weights_dir()
    model_id = current_model_id(model_id)
    folder = root / model_id
    if not folder.is_dir():
        raise ModelError(f"no model called {model_id!r} in {root}")
    card = read_card(folder)
    if not is_segmentation_card(card):
        raise ModelError(f"model {model_id!r} is not a lesion segmentation model")
    weights = folder / WEIGHTS_FILE
    if not weights.is_file() or file_sha256(weights) != card.sha256:
        raise ModelError(f"the weights of model {model_id!r} are missing or do not match its card")
    cache = (onnx_cache or paths.user_data_dir() / "onnx-cache") / card.sha256
    onnx_path = cache / ONNX_FILE
    if not onnx_path.is_file():
        log.info("exporting model %s to ONNX (once)", model_id)
        export_onnx(card, weights, onnx_path)
    return LesionSegmenter(card, weights, onnx_path, threads)


def load_lesion_finder(
    model_id: str = LESION_MODEL, weights_dir: Path | None = None, threads: int = 2
) -> LesionFinder:
    """A :class:`~lungview.detection.finder.LesionFinder` on the verified model ``model_id``."""
    return LesionFinder(load_lesion_segmenter(model_id, weights_dir, threads=threads))
