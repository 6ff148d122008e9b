"""The lesion segmentation model as the app loads it: ONNX only, verified files, Grad-CAM without a backward pass."""

import json

import numpy as np
import pytest
import torch

from lungview.inference.lesion_segmenter import ARCHITECTURE, export_onnx, load_lesion_segmenter
from lungview.models.card import ModelCard, ModelError, file_sha256, write_card
from lungview.models.lesion_input import network_inputs, resize_hu
from lungview.models.lesion_unet import WithAttention, build_lesion_unet
from lungview.models.preprocess import PreprocessParams

SIZE = 64


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A randomly initialised network at 64 px saved as a segmentation model with its ONNX export."""
    torch.manual_seed(0)
    network, _ = build_lesion_unet(pretrained=False, size=SIZE)
    with torch.no_grad():
        network.decoder.logits.bias.fill_(-0.5)
    folder = tmp_path_factory.mktemp("weights") / "seg"
    folder.mkdir()
    torch.save(network.state_dict(), folder / "model.pt")
    card = ModelCard(
        "seg", "1.0.0", ARCHITECTURE, ("no tumour", "tumour"), ("tumour",), "best finding", 0.5, 1.0,
        PreprocessParams(size=SIZE), file_sha256(folder / "model.pt"), lesion_finder=True,
        segmentation={"input_size": SIZE, "pixel_threshold": 0.5, "calibration": {"slope": 1.0, "intercept": 0.0}},
    )
    write_card(folder, card)
    export_onnx(card, folder / "model.pt", folder / "model.onnx")
    data = json.loads((folder / "card.json").read_text())
    data["segmentation"]["onnx_sha256"] = file_sha256(folder / "model.onnx")
    (folder / "card.json").write_text(json.dumps(data))
    return folder.parent, network


def test_onnx_probabilities_equal_the_torch_network(tiny_model):
    weights, network = tiny_model
    segmenter = load_lesion_segmenter("seg", weights)
    inputs = np.random.default_rng(1).uniform(-1, 1, (2, 3, SIZE, SIZE)).astype(np.float32)
    with torch.inference_mode():
        expected = torch.sigmoid(network(torch.from_numpy(inputs)))[:, 0].numpy()
    assert np.abs(segmenter.probabilities(inputs) - expected).max() < 1e-4


def test_attention_is_pytorch_grad_cams_segmentation_target(tiny_model):
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget

    weights, network = tiny_model
    segmenter = load_lesion_segmenter("seg", weights)
    image = np.full((96, 96), -850.0, np.float32)
    image[30:50, 20:45] = 40.0
    inputs = network_inputs(resize_hu(image, SIZE)[None], np.zeros(1))
    region = np.zeros((SIZE, SIZE), np.float32)
    region[20:40, 10:30] = 1.0
    with GradCAM(model=network, target_layers=[network.decoder.up4]) as cam:
        reference = cam(input_tensor=torch.from_numpy(inputs), targets=[SemanticSegmentationTarget(0, region)])[0]
    import cv2

    ours = cv2.resize(segmenter.attention(inputs)[0], (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    ours = ours / ours.max()
    assert np.corrcoef(ours.ravel(), reference.ravel())[0, 1] > 0.98


def test_the_export_wrapper_keeps_the_logits(tiny_model):
    _, network = tiny_model
    x = torch.zeros(1, 3, SIZE, SIZE)
    with torch.inference_mode():
        logits, attention = WithAttention(network)(x)
        assert torch.allclose(logits, network(x))
        assert attention.shape[-1] == SIZE // 4


def test_a_changed_onnx_file_is_refused(tiny_model, tmp_path):
    import shutil

    weights, _ = tiny_model
    shutil.copytree(weights / "seg", tmp_path / "seg")
    with open(tmp_path / "seg" / "model.onnx", "ab") as stream:
        stream.write(b"\0")
    with pytest.raises(ModelError, match="does not match"):
        load_lesion_segmenter("seg", tmp_path)


def test_cam_is_only_for_the_tumour_class_on_ct(tiny_model):
    weights, _ = tiny_model
    segmenter = load_lesion_segmenter("seg", weights)
    heatmap = segmenter.cam(np.full((80, 80), -800.0, np.float32), True, "tumour")
    assert heatmap.shape == (80, 80) and 0.0 <= heatmap.min() and heatmap.max() <= 1.0
    with pytest.raises(ModelError):
        segmenter.cam(np.zeros((80, 80), np.float32), False, "tumour")
