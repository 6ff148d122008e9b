"""A resolution ensemble is one Classifier whose logits are the mean of its members' and whose CAM layer is shared."""

import numpy as np
import pytest
import torch

from lungview.models.architecture import Architecture
from lungview.models.backbones import build_classifier, build_ensemble_members
from lungview.models.ensemble import combine, member_top_start
from lungview.models.network import cam_target_layer

SIDES = (32, 48)


@pytest.fixture
def members():
    torch.manual_seed(0)
    networks, _ = build_ensemble_members("tiny-cnn", SIDES, class_count=4, pretrained=False)
    for network in networks:
        torch.nn.init.normal_(network.head.weight)
        torch.nn.init.normal_(network.head.bias)
    return [network.eval() for network in networks]


def test_names_round_trip_with_sorted_sides():
    assert Architecture("efficientnet-lite0").with_sizes((352, 288)).name == "efficientnet-lite0-sizes-288-352"
    ensemble = Architecture.parse("efficientnet-lite0-sizes-288-352")
    assert (ensemble.member.name, ensemble.sizes) == ("efficientnet-lite0", (288, 352))
    assert Architecture.parse("efficientnet-lite0").sizes == ()


def test_smaller_members_resample_inside_the_network(members):
    small, large = members
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        assert small.features[:-1](x).shape[-2:] == large.features[:-1](x).shape[-2:]  # one grid
        assert small.features[1:-2](torch.randn(1, 3, 32, 32)).shape[-1] == 16  # the member runs at its own side
    assert len(small.features) == len(large.features) + 2
    assert member_top_start(2, 3, resampled=True) == 3 and member_top_start(3, 3, resampled=True) == 5
    assert member_top_start(2, 3, resampled=False) == 2


def test_ensemble_logits_are_the_mean_of_the_members(members):
    ensemble = combine(members)
    x = torch.randn(3, 3, 48, 48)
    with torch.no_grad():
        expected = torch.stack([member(x) for member in members]).mean(0)
        got = ensemble(x)
        target = cam_target_layer(ensemble)(ensemble.features[:-1](x))
    assert torch.allclose(got, expected, atol=1e-5)
    assert target.shape[1] == ensemble.head.in_features == 32


def test_an_ensemble_rebuilds_from_its_name_and_checks_the_input_side(members):
    ensemble = combine(members)
    rebuilt, source = build_classifier("tiny-cnn-sizes-32-48", class_count=4, size=48, pretrained=False)
    rebuilt.load_state_dict(ensemble.state_dict())
    x = torch.randn(1, 3, 48, 48)
    with torch.no_grad():
        assert torch.equal(rebuilt.eval()(x), ensemble(x))
    assert "random" in source
    with pytest.raises(ValueError, match="reads 48 px squares"):
        build_classifier("tiny-cnn-sizes-32-48", class_count=4, size=32, pretrained=False)


def test_onnx_export_of_an_ensemble_matches_pytorch(members):
    pytest.importorskip("onnxruntime")
    from lungview.inference.fast_path import export_onnx_bytes
    from lungview.inference.onnx_session import OnnxNetwork

    ensemble = combine(members)
    onnx = OnnxNetwork(export_onnx_bytes(ensemble, channels=3, size=48))
    batch = np.random.default_rng(0).normal(size=(2, 3, 48, 48)).astype(np.float32)
    logits, features = onnx.run(batch)
    with torch.no_grad():
        expected = ensemble(torch.from_numpy(batch)).numpy()
    assert np.abs(logits - expected).max() < 1e-4
    assert features.shape == (2, 32) and onnx.class_maps(batch).shape == (2, 4, 24, 24)
