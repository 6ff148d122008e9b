"""Grad-CAM through the real package: a hand-built brightness detector must look at the bright patch."""

import numpy as np
import pytest

from lungview.inference.classifier import load_classifier
from lungview.models import ModelError
from lungview.models.prediction import CAM_METHODS


def _ellipse_with_bright_patch() -> np.ndarray:
    yy, xx = np.mgrid[:96, :128]
    image = np.zeros((96, 128), np.float32)
    image[((yy - 48) / 40) ** 2 + ((xx - 64) / 56) ** 2 <= 1] = 100
    image[30:42, 70:84] = 255
    return image


@pytest.mark.parametrize("method", sorted(CAM_METHODS))
def test_cam_peaks_on_bright_patch(tiny_weights_dir, method):
    model = load_classifier("tiny", tiny_weights_dir, fast=False, backend="torch")
    image = _ellipse_with_bright_patch()
    heatmap = model.cam(image, has_hu=False, class_name="tumour", method=method)
    assert heatmap.shape == image.shape and heatmap.dtype == np.float32
    assert 0.0 <= heatmap.min() and heatmap.max() <= 1.0
    peak_y, peak_x = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    assert 26 <= peak_y <= 46 and 66 <= peak_x <= 88
    assert heatmap[30:42, 70:84].mean() > 3 * heatmap[60:80, 20:50].mean() + 1e-6


def test_cam_rejects_unknown_method_and_class(tiny_weights_dir):
    model = load_classifier("tiny", tiny_weights_dir, fast=False, backend="torch")
    with pytest.raises(ModelError, match="method"):
        model.cam(_ellipse_with_bright_patch(), has_hu=False, class_name="tumour", method="magic")
    with pytest.raises(ModelError, match="no class"):
        model.cam(_ellipse_with_bright_patch(), has_hu=False, class_name="cat")
