"""Shipped classifiers: registry, model card, preprocessing, prediction and Grad-CAM.

``list_model_ids()`` names the models in ``weights/``; ``load_model(id)`` verifies the weight file against its card
and returns a model with ``predict(images, has_hu)`` and ``cam(image, has_hu)``.
"""

from lungview.models.card import ModelCard, ModelError
from lungview.models.predict import LoadedModel, Prediction
from lungview.models.registry import list_model_ids, load_model, save_model

__all__ = ["LoadedModel", "ModelCard", "ModelError", "Prediction", "list_model_ids", "load_model", "save_model"]
