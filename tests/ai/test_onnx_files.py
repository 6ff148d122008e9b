"""The manifest beside a model's ONNX file: a file that does not match it is refused."""

import json

import pytest

from lungview.inference.onnx_files import MANIFEST_FILE, ONNX_FILE, read_onnx_model, write_onnx_model
from lungview.models import ModelError
from lungview.models.card import read_card


@pytest.fixture
def model_folder(blob_weights_dir):
    from lungview.training.onnx_export import stage_onnx_weights

    staged = blob_weights_dir.parent / "staged"
    stage_onnx_weights(blob_weights_dir, staged)
    return staged / "blob"


def test_a_verified_file_is_read(model_folder):
    card = read_card(model_folder)
    assert read_onnx_model(model_folder, card) == (model_folder / ONNX_FILE).read_bytes()
    assert json.loads((model_folder / MANIFEST_FILE).read_text())["weights_sha256"] == card.sha256


def test_an_altered_onnx_file_is_refused(model_folder):
    data = bytearray((model_folder / ONNX_FILE).read_bytes())
    data[-1] ^= 0xFF
    (model_folder / ONNX_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its manifest"):
        read_onnx_model(model_folder, read_card(model_folder))


def test_an_export_of_other_weights_or_an_old_format_is_refused(model_folder):
    card = read_card(model_folder)
    onnx_model = (model_folder / ONNX_FILE).read_bytes()
    write_onnx_model(model_folder, onnx_model, card.__class__(**{**card.__dict__, "sha256": "0" * 64}))
    with pytest.raises(ModelError, match="other weights"):
        read_onnx_model(model_folder, card)
    write_onnx_model(model_folder, onnx_model, card)
    manifest = json.loads((model_folder / MANIFEST_FILE).read_text())
    (model_folder / MANIFEST_FILE).write_text(json.dumps({**manifest, "export_format": 1}))
    with pytest.raises(ModelError, match="graph format 1"):
        read_onnx_model(model_folder, card)
    (model_folder / MANIFEST_FILE).write_text("{")
    with pytest.raises(ModelError, match="cannot be read"):
        read_onnx_model(model_folder, card)
