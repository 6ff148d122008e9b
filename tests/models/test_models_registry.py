"""Registry: list, load with SHA-256 and class-count checks, predictions that sum to one, shipped models."""

import dataclasses
import json

import numpy as np
import pytest

from lungview.inference.classifier import load_classifier
from lungview.models import ModelError, list_model_ids, load_model
from lungview.models.card import read_card, write_card


def _slice_with_patch(patch_value: float) -> np.ndarray:
    yy, xx = np.mgrid[:64, :64]
    image = np.zeros((64, 64), np.float32)
    image[((yy - 32) / 28) ** 2 + ((xx - 32) / 28) ** 2 <= 1] = 100
    image[18:28, 36:46] = patch_value
    return image


def _predict(classifier, images, has_hu):
    """The predictions of the PyTorch classifier (no ONNX fast path) for ``images``."""
    return [classified.prediction for classified in classifier.classify(images, has_hu)]


def test_list_and_load(tiny_weights_dir):
    assert list_model_ids(tiny_weights_dir) == ["tiny"]
    model = load_model("tiny", tiny_weights_dir)
    assert model.card.classes == ("normal", "tumour")
    classifier = load_classifier("tiny", tiny_weights_dir, fast=False, backend="torch")
    bright, dark = _predict(classifier, [_slice_with_patch(255), _slice_with_patch(100)], has_hu=False)
    assert sum(bright.probabilities.values()) == pytest.approx(1.0)
    assert bright.predicted == "tumour" and bright.cancer_probability > dark.cancer_probability
    assert _predict(classifier, [], has_hu=False) == []


def test_changed_weight_file_is_refused(tiny_weights_dir):
    weights = tiny_weights_dir / "tiny" / "model.pt"
    weights.write_bytes(weights.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="SHA-256"):
        load_model("tiny", tiny_weights_dir)


def test_wrong_class_count_is_refused(tiny_weights_dir):
    folder = tiny_weights_dir / "tiny"
    card = read_card(folder)
    write_card(folder, dataclasses.replace(card, classes=("a", "b", "tumour"), cancer_classes=("tumour",)))
    with pytest.raises(ModelError, match="3 classes"):
        load_model("tiny", tiny_weights_dir)


def test_missing_model_and_broken_card(tiny_weights_dir):
    with pytest.raises(ModelError, match="no model called"):
        load_model("absent", tiny_weights_dir)
    card_path = tiny_weights_dir / "tiny" / "card.json"
    data = json.loads(card_path.read_text())
    del data["preprocessing"]
    card_path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="incomplete"):
        load_model("tiny", tiny_weights_dir)


@pytest.mark.parametrize("model_id", ["ct-subtype-4", "ct-malignancy-3"])
def test_shipped_model_loads_and_predicts(model_id):
    if model_id not in list_model_ids():
        pytest.skip(f"shipped model {model_id} is not in weights/ yet")
    model = load_classifier(model_id, fast=False, backend="torch")
    image = _slice_with_patch(200) * 1.0
    (prediction,) = _predict(model, [image], has_hu=False)
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert 0.0 <= prediction.cancer_probability <= 1.0
    hu = (_slice_with_patch(200) - 100) * 10 - 600
    (from_hu,) = _predict(model, [hu], has_hu=True)
    assert from_hu.predicted in model.card.classes


def test_weights_can_be_stored_in_fp32(tmp_path):
    import torch

    from lungview.models.registry import save_model
    from tests.models.conftest import brightness_detector, tiny_card

    save_model(tmp_path / "tiny", brightness_detector(), tiny_card(), half=False)
    state = torch.load(tmp_path / "tiny" / "model.pt", weights_only=True)
    assert state["head.weight"].dtype == torch.float32
    classifier = load_classifier("tiny", tmp_path, fast=False, backend="torch")
    assert _predict(classifier, [_slice_with_patch(255)], has_hu=False)[0].predicted == "tumour"
