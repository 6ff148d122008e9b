"""Architecture names as model cards store them read into data and written back unchanged."""

import pytest

from lungview.models.architecture import Architecture
from lungview.models.backbones import backbone_spec


@pytest.mark.parametrize(
    "name",
    [
        "efficientnet-lite0",
        "efficientnet-lite0-cells-ms",
        "efficientnet-lite0-cells-lunggate-mirror",
        "tiny-cnn-cells-lunggate",
        "tiny-cnn-sizes-32-48",
        "resnet18",
    ],
)
def test_names_round_trip(name):
    assert Architecture.parse(name).name == name


def test_parts_of_a_name():
    assert Architecture.parse("efficientnet-lite0-cells-lunggate-mirror") == Architecture(
        "efficientnet-lite0", cells=True, lung_gate=True, mirror=True
    )
    assert Architecture.parse("efficientnet-lite0-cells-ms").multi_scale
    assert Architecture.parse("tiny-cnn-sizes-48-32") == Architecture("tiny-cnn", sizes=(32, 48))


@pytest.mark.parametrize("name", ["efficientnet-lite0-cells-s99", "efficientnet-lite0-cellsx", "-cells"])
def test_unknown_options_are_refused(name):
    with pytest.raises(ValueError, match="unknown architecture"):
        Architecture.parse(name)


def test_multi_scale_widens_the_features_and_moves_the_top_blocks():
    plain, fine = backbone_spec("efficientnet-lite0-cells"), backbone_spec("efficientnet-lite0-cells-ms")
    assert (plain.feature_dim, plain.top_start) == (1280, 16)
    assert (fine.feature_dim, fine.top_start) == (1280 + 112, 12)
    with pytest.raises(ValueError, match="per-cell head"):
        backbone_spec("resnet18-cells")
