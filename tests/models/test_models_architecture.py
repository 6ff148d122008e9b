"""Architecture names as model cards store them read into data and written back unchanged."""

import pytest

from lungview.models.architecture import Architecture
from lungview.models.backbones import backbone_spec


@pytest.mark.parametrize("name", ["efficientnet-lite0", "efficientnet-lite0-sizes-288-352", "tiny-cnn-sizes-32-48",
                                  "resnet18"])
def test_names_round_trip(name):
    assert Architecture.parse(name).name == name


def test_parts_of_a_name():
    assert Architecture.parse("efficientnet-lite0") == Architecture("efficientnet-lite0")
    assert Architecture.parse("tiny-cnn-sizes-48-32") == Architecture("tiny-cnn", sizes=(32, 48))
    assert Architecture.parse("tiny-cnn-sizes-48-32").member == Architecture("tiny-cnn")


def test_an_empty_name_is_refused():
    with pytest.raises(ValueError, match="unknown architecture"):
        Architecture.parse("")


@pytest.mark.parametrize("name", ["efficientnet-lite0-cells", "efficientnet-lite0-cells-ms"])
def test_retired_cell_architectures_are_refused_naming_the_backbones(name):
    with pytest.raises(ValueError, match="unknown architecture.*choose a backbone of efficientnet-lite0"):
        backbone_spec(name)
