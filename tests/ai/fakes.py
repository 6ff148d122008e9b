"""Hand-built models for the AI tests: an attention network that looks at bright blobs, and a slow fake classifier.

Imported as ``ai.fakes`` (``tests/`` is on ``sys.path`` through the root ``conftest.py``).
"""

import threading
import time
from pathlib import Path

import numpy as np
import torch

from lungview.inference.classifier import Classification
from lungview.models import ModelCard, Prediction, save_model
from lungview.models.backbones import build_classifier
from lungview.models.prediction import CAM_METHODS
from lungview.models.preprocess import PreprocessParams
from lungview.windowing import Window

BLOB_CLASSES = ("normal", "tumour")
BLOB_CENTRE = (150, 330)
"""(row, col) of the bright blob in :func:`blob_slice`."""


def blob_network(size: int = 64, gain: float = 3.0) -> torch.nn.Module:
    """A tiny CNN whose features are the mean input brightness and whose "tumour" logit is ``gain`` times it.

    64 px is the size of :func:`blob_card`.

    Its Grad-CAM for "tumour" therefore peaks where the slice is brightest.
    """
    network, _ = build_classifier("tiny-cnn", len(BLOB_CLASSES), size=size, pretrained=False)
    with torch.no_grad():
        for module in network.features.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.zero_()
                module.bias.zero_()
                module.weight[0, :, 1, 1] = 1.0 / module.weight.shape[1]
        network.head.weight.zero_()
        network.head.bias.zero_()
        network.head.weight[1, 0] = gain
        network.head.weight[0, 0] = -gain
    return network.eval()


def blob_card(**changes) -> ModelCard:
    """The card of :func:`blob_network`: 64 px, HU windowed through the lung window, no calibration."""
    values = dict(
        id="blob",
        version="test",
        architecture="tiny-cnn",
        classes=BLOB_CLASSES,
        cancer_classes=("tumour",),
        cancer_rule="P(tumour)",
        threshold=0.5,
        temperature=1.0,
        preprocessing=PreprocessParams(size=64, channels=(Window(-600, 1500),) * 3),
        sha256="",
    )
    values.update(changes)
    return ModelCard(**values)


def save_blob_model(weights_dir: Path, model_id: str = "blob") -> Path:
    """Save the blob model as ``weights_dir/model_id`` through the real registry; returns ``weights_dir``."""
    save_model(weights_dir / model_id, blob_network(), blob_card(id=model_id))
    return weights_dir


def blob_slice(shape=(400, 480), centre=BLOB_CENTRE, radius=14) -> np.ndarray:
    """A synthetic HU slice: air, a soft-tissue body ellipse, and one bright blob at ``centre``."""
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    image = np.full(shape, -1000.0, np.float32)
    body = ((rows - shape[0] / 2) / (shape[0] * 0.42)) ** 2 + ((cols - shape[1] / 2) / (shape[1] * 0.42)) ** 2 <= 1
    image[body] = -700.0
    image[(rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2] = 400.0
    return image


class SlowFakeClassifier:
    """A classifier that takes ``delay`` seconds and whose cancer probability is a known function of the pixels.

    :meth:`expected` gives what it returns for an image, so a test can tell whose result is on screen.
    """

    backend = "fake"
    cam_methods = tuple(CAM_METHODS)
    uses_pytorch_grad_cam = False
    ood_threshold = None

    def __init__(self, delay: float = 0.05, model_id: str = "slow-fake"):
        self.card = blob_card(id=model_id)
        self.delay = delay
        self.calls = 0
        self._lock = threading.Lock()

    @staticmethod
    def expected(image: np.ndarray) -> float:
        """The cancer probability this fake gives ``image``."""
        return float(np.clip((np.asarray(image, np.float64).mean() + 1000.0) / 1000.0, 0.0, 1.0))

    def prepare(self, images, has_hu):
        return np.stack([np.asarray(image, np.float32) for image in images])

    def classify_batch(self, batch):
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        results = []
        for image in batch:
            p = self.expected(image)
            prediction = Prediction({"normal": 1.0 - p, "tumour": p}, p, "tumour" if p >= 0.5 else "normal")
            results.append(Classification(prediction, None))
        return results

    def classify(self, images, has_hu):
        return self.classify_batch(self.prepare(images, has_hu))

    def cam(self, image, has_hu, class_name, method="gradcam"):
        time.sleep(self.delay)
        image = np.asarray(image, np.float32)
        return (image - image.min()) / max(float(np.ptp(image)), 1e-6)
