"""The EfficientNet-Lite0 ImageNet weights recognise natural photographs with inputs in [-1, 1]."""

from lungview.training.normalisation_check import check_input_normalisation


def test_efficientnet_lite0_classifies_cat_and_coffee():
    findings = check_input_normalisation("efficientnet-lite0")
    assert findings["minus_one_to_one"]["chelsea"]["correct"]
    assert findings["minus_one_to_one"]["coffee"]["correct"]
    assert findings["minus_one_to_one"]["coffee"]["probability"] > 0.5
