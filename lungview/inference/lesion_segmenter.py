"""The lesion segmentation model loaded for use: its card and ONNX Runtime for the probability maps and the
attention map. PyTorch is never imported to use it.

The model folder holds ``model.pt`` (the PyTorch weights the card's SHA-256 names) and ``model.onnx`` (its export,
named by ``segmentation.onnx_sha256``); a folder without ``model.onnx`` is exported once into the per-user cache.
The network has two outputs: the tumour ``logits`` and the ``attention`` map, the stride-4 logits less their bias.
Grad-CAM of the summed tumour logits over any non-empty region, taken at the decoder's last block, reduces to that
map through a ReLU (the logits are a 1x1 convolution of that block, so the gradient's spatial mean weights each
channel by its convolution weight): the app shows it without a backward pass, and a test checks it against
pytorch-grad-cam's ``SemanticSegmentationTarget``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from lungview import paths
from lungview.detection.finder import LesionFinder
from lungview.inference.model_choice import LESION_MODEL, current_model_id
from lungview.models.card import WEIGHTS_FILE, ModelCard, ModelError, file_sha256, read_card
from lungview.models.lesion_input import map_to_slice, network_inputs, resize_hu

log = logging.getLogger(__name__)

#: The architecture name a segmentation model's card carries.
ARCHITECTURE = "efficientnet-lite0-unet"
ONNX_FILE = "model.onnx"


def is_segmentation_card(card: ModelCard) -> bool:
    return card.architecture == ARCHITECTURE


class LesionSegmenter:
    """Tumour probability maps of network inputs, and Grad-CAM of the tumour output."""

    backend = "onnxruntime"
    cam_methods = ("gradcam",)
    uses_pytorch_grad_cam = False
    ood_threshold = None

    def __init__(self, card: ModelCard, onnx_path: Path, threads: int = 2):
        import onnxruntime as ort

        self.card = card
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.threads = threads
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    @property
    def input_size(self) -> int:
        return int(self.card.segmentation["input_size"])

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """``[n, size, size]`` tumour probabilities of network inputs ``[n, 3, size, size]``."""
        (logits,) = self._session.run(["logits"], {"input": np.ascontiguousarray(inputs, np.float32)})
        return (1.0 / (1.0 + np.exp(-np.clip(logits[:, 0], -80.0, 80.0)))).astype(np.float32)

    def attention(self, inputs: np.ndarray) -> np.ndarray:
        """Grad-CAM of the tumour output (module docstring), ``[n, size / 4, size / 4]``, not normalised."""
        (attention,) = self._session.run(["attention"], {"input": np.ascontiguousarray(inputs, np.float32)})
        return np.maximum(attention[:, 0], 0.0)

    def cam(self, image: np.ndarray, has_hu: bool, class_name: str, method: str = "gradcam") -> np.ndarray:
        """Grad-CAM of the tumour output on one HU slice, on its grid, in [0, 1]: where the network looked, not a
        lesion outline. Only the slice is given here, so its neighbouring planes are taken as the slice itself."""
        if method != "gradcam" or class_name not in self.card.cancer_classes or not has_hu:
            raise ModelError(f"model {self.card.id!r} gives Grad-CAM of {self.card.cancer_classes[0]!r} on CT only")
        resized = resize_hu(np.asarray(image, np.float32), self.input_size)[None]
        attention = self.attention(network_inputs(resized, np.zeros(1)))[0]
        upsampled = cv2.resize(attention, (self.input_size, self.input_size), interpolation=cv2.INTER_LINEAR)
        heatmap = map_to_slice(upsampled, *image.shape)
        peak = float(heatmap.max())
        return np.clip(heatmap / peak, 0.0, 1.0) if peak > 0 else heatmap


def torch_network(card: ModelCard, weights: Path):
    """The network with its trained weights (PyTorch)."""
    import torch

    from lungview.models.lesion_unet import build_lesion_unet

    network, _ = build_lesion_unet(pretrained=False, size=int(card.segmentation["input_size"]))
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return network.eval()


def export_onnx(card: ModelCard, weights: Path, path: Path) -> Path:
    """The network as ONNX at ``path`` (dynamic batch; outputs ``logits`` and ``attention``), written atomically."""
    import warnings

    import torch

    from lungview.models.lesion_unet import WithAttention

    size = int(card.segmentation["input_size"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            WithAttention(torch_network(card, weights)), torch.zeros(1, 3, size, size), str(partial),
            input_names=["input"], output_names=["logits", "attention"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "attention": {0: "batch"}}, dynamo=False,
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
    shipped = folder / ONNX_FILE
    if shipped.is_file():
        if file_sha256(shipped) != card.segmentation.get("onnx_sha256"):
            raise ModelError(f"the ONNX file of model {model_id!r} does not match its card")
        return LesionSegmenter(card, shipped, threads)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file() or file_sha256(weights) != card.sha256:
        raise ModelError(f"the weights of model {model_id!r} are missing or do not match its card")
    exported = (onnx_cache or paths.user_data_dir() / "onnx-cache") / card.sha256 / ONNX_FILE
    if not exported.is_file():
        log.info("exporting model %s to ONNX (once)", model_id)
        export_onnx(card, weights, exported)
    return LesionSegmenter(card, exported, threads)


def load_lesion_finder(
    model_id: str = LESION_MODEL, weights_dir: Path | None = None, threads: int = 2
) -> LesionFinder:
    """A :class:`~lungview.detection.finder.LesionFinder` on the verified model ``model_id``."""
    return LesionFinder(load_lesion_segmenter(model_id, weights_dir, threads=threads))
