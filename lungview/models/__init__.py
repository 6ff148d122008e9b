"""Shipped classifiers: registry, model card, networks, preprocessing, calibrated predictions.

``list_model_ids()`` names the models in ``weights/``; ``load_model(id)`` verifies the weight file against its card
and returns a :class:`~lungview.models.registry.LoadedModel` (the card and the network). Classifying and explaining
slices is :mod:`lungview.inference`'s job.

Importing this package does not import torch: ``LoadedModel``, ``load_model`` and ``save_model`` are imported on
first use, so the cards, predictions and model list also work in a build without PyTorch (the ONNX Runtime back
end, :mod:`lungview.inference.onnx_classifier`).
"""

import importlib

from lungview.models.card import ModelCard, ModelError, list_model_ids
from lungview.models.prediction import Prediction

__all__ = ["LoadedModel", "ModelCard", "ModelError", "Prediction", "list_model_ids", "load_model", "save_model"]

#: Names that need torch -> the module that defines them (imported on first access, PEP 562).
_TORCH_NAMES = {
    "LoadedModel": "lungview.models.registry",
    "load_model": "lungview.models.registry",
    "save_model": "lungview.models.registry",
}


def __getattr__(name: str):
    if name not in _TORCH_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_TORCH_NAMES[name]), name)
