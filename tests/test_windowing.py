import numpy as np
import pytest

from lungview.windowing import PRESETS, Window, apply_window, window_named


def test_lung_window_maps_its_range_to_black_and_white():
    lung = PRESETS["lung"]
    out = apply_window(np.array([-2000.0, lung.low, lung.center, lung.high, 3000.0]), lung)
    assert out.dtype == np.uint8
    assert out[0] == 0 and out[1] == 0
    assert out[-1] == 255 and out[-2] == 255
    assert 120 <= out[2] <= 135


def test_window_is_monotonic():
    ramp = np.linspace(-1024, 3000, 500)
    out = apply_window(ramp, Window(40, 400)).astype(int)
    assert np.all(np.diff(out) >= 0)


def test_degenerate_width_does_not_divide_by_zero():
    out = apply_window(np.array([-1.0, 1.0]), Window(0, 0))
    assert out.tolist() == [0, 255]


def test_unknown_window_name_is_a_clear_error():
    with pytest.raises(ValueError, match="lung"):
        window_named("liver")
