"""The lung gate and the stride-16 map of the cell classifiers (issue 9), on hand-built inputs of 64 px."""

import numpy as np
import pytest
import torch
from torch import nn

from lungview.models.backbones import build_classifier
from lungview.models.cell_classifier import CellMaxClassifier, gated, lung_gate

LUNG_AIR, SOFT_TISSUE, OUTSIDE_AIR = -850.0, 40.0, -1000.0


def lung_window_input(hu: np.ndarray) -> torch.Tensor:
    """The three-channel network input of a HU slice, every channel the lung window W1500/L-600 in [-1, 1]."""
    level = np.clip((hu + 1350.0) / 1500.0, 0.0, 1.0) * 2.0 - 1.0
    return torch.from_numpy(np.repeat(level[None, None].astype(np.float32), 3, axis=1))


def chest(size: int = 64) -> np.ndarray:
    """Air outside, a body of soft tissue in the middle and one lung of air inside it."""
    hu = np.full((size, size), OUTSIDE_AIR, np.float32)
    hu[8:56, 4:60] = SOFT_TISSUE
    hu[16:48, 12:28] = LUNG_AIR
    return hu


def test_lung_gate_keeps_the_lung_and_its_surroundings_but_not_the_air_outside():
    air = torch.zeros(1, 1, 12, 12)
    tissue = torch.zeros(1, 1, 12, 12)
    tissue[0, 0, 1:11, 1:11] = 1.0
    air[0, 0, 5:7, 3:5] = 1.0  # a lung inside the body
    air[0, 0, 0, :] = 1.0  # air above the body: outside, never lung
    reach = 2
    gate = lung_gate(air, tissue, reach)[0, 0].numpy()
    assert gate[5 - reach : 7 + reach, 3 - reach : 5 + reach].all()
    assert gate.sum() == (2 + 2 * reach) ** 2
    assert not gate[0, 8:].any()


def brightness_network(gate: bool) -> CellMaxClassifier:
    """Cells score the mean of the first input channel (a hand-built known answer), with or without the gate."""
    pick = nn.Conv2d(3, 1, 1, bias=False)
    with torch.no_grad():
        pick.weight.copy_(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1))
    features = nn.Sequential(pick, nn.AvgPool2d(4))
    network = CellMaxClassifier(gated(features, reach=1) if gate else features, feature_dim=1, class_count=2)
    with torch.no_grad():
        network.head.weight.copy_(torch.tensor([[0.0], [1.0]]))
        network.head.bias.zero_()
    return network.eval()


def test_gated_network_zeroes_cells_outside_the_lung_and_never_picks_them():
    hu = chest()
    hu[0:8, 40:64] = 3000.0  # metal outside the body: the brightest cells, which an ungated max picks
    x = lung_window_input(hu)
    with torch.no_grad():
        assert brightness_network(gate=False)(x)[0, 1] == pytest.approx(1.0)
        network = brightness_network(gate=True)
        active = network.features(x)[0, 0] != 0
        assert active[4:12, 3:7].all() and not active[:2, 10:].any()
        tumour_logit = network(x)[0, 1]
        assert tumour_logit == pytest.approx((40.0 + 1350.0) / 750.0 - 1.0, abs=1e-4)  # soft tissue beside the lung
        assert torch.allclose(network.head(network.embed(x)), network(x), atol=1e-6)


@pytest.mark.parametrize(
    "architecture", ["tiny-cnn-cells", "tiny-cnn-cells-lunggate", "tiny-cnn-cells-lunggate-mirror"]
)
def test_cell_network_survives_the_onnx_fast_path(architecture):
    from lungview.inference.fast_path import build_fast_path

    torch.manual_seed(0)
    network, _ = build_classifier(architecture, 2, 64, pretrained=False)
    x = torch.cat([lung_window_input(chest()), lung_window_input(chest()[:, ::-1].copy())])
    with torch.no_grad():
        expected = network.eval()(x).numpy()
    fast_path = build_fast_path(network, 3, 64)
    assert fast_path is not None
    logits, features = fast_path.run(x.numpy())
    assert np.abs(logits - expected).max() < 1e-4
    assert features.shape == (2, 16)


def test_mirrored_network_averages_the_slice_and_its_mirror_image():
    torch.manual_seed(0)
    network, _ = build_classifier("tiny-cnn-cells-lunggate-mirror", 2, 64, pretrained=False)
    x = torch.cat([lung_window_input(chest()), lung_window_input(chest()[:, ::-1].copy())])
    with torch.no_grad():
        maps = network.eval().features(x)
        assert maps.shape[0] == 2
        assert torch.allclose(maps[0], maps[1].flip(-1), atol=1e-5)  # a slice and its mirror image: mirrored maps
        expected = network(x).numpy()
    assert np.allclose(expected[0], expected[1], atol=1e-5)
