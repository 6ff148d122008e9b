"""Ruler length and ROI statistics against numpy on known masks."""

import math

import numpy as np
import pytest

from lungview.planes.measure import Shape, region_mask, region_statistics, ruler_length, shape_summary, summary_text


def test_ruler_uses_the_true_spacing_per_axis():
    assert ruler_length((0, 0), (10, 0), (2.5, 0.7)) == pytest.approx(25.0)
    assert ruler_length((0, 0), (3, 4), None) == pytest.approx(5.0)
    assert ruler_length((0, 0), (4, 10), (2.5, 0.7)) == pytest.approx(math.hypot(10.0, 7.0))


def test_rectangle_mask_is_the_numpy_slice():
    mask = region_mask(Shape("rectangle", ((12.0, 3.0), (2.0, 8.0))), (20, 20))
    expected = np.zeros((20, 20), bool)
    expected[2:12, 3:8] = True
    np.testing.assert_array_equal(mask, expected)


def test_ellipse_mask_matches_the_equation_and_its_area():
    mask = region_mask(Shape("ellipse", ((10.0, 20.0), (50.0, 100.0))), (80, 140))
    rows, cols = np.mgrid[0:80, 0:140] + 0.5
    expected = ((rows - 30) / 20) ** 2 + ((cols - 60) / 40) ** 2 <= 1
    np.testing.assert_array_equal(mask, expected)
    assert mask.sum() == pytest.approx(math.pi * 20 * 40, rel=0.01)


def test_polygon_mask_of_a_triangle():
    mask = region_mask(Shape("polygon", ((0.0, 0.0), (0.0, 10.0), (10.0, 0.0))), (12, 12))
    rows, cols = np.mgrid[0:12, 0:12] + 0.5
    np.testing.assert_array_equal(mask, rows + cols < 10)
    assert not region_mask(Shape("polygon", ((0.0, 0.0), (5.0, 5.0))), (12, 12)).any()


def test_statistics_equal_numpy_on_the_mask_with_area_in_mm2():
    image = np.random.default_rng(1).normal(-800, 50, size=(64, 64)).astype(np.float32)
    mask = np.zeros((64, 64), bool)
    mask[10:20, 5:30] = True
    stats = region_statistics(image, mask, (0.7, 0.8))
    values = image[mask].astype(np.float64)
    assert stats.pixels == 250
    assert stats.mean == pytest.approx(values.mean())
    assert stats.sd == pytest.approx(values.std())
    assert (stats.minimum, stats.maximum) == (pytest.approx(values.min()), pytest.approx(values.max()))
    assert stats.area == pytest.approx(250 * 0.7 * 0.8) and stats.area_unit == "mm²"
    plain = region_statistics(image, mask, None)
    assert plain.area == 250 and plain.area_unit == "px"
    assert region_statistics(image, np.zeros_like(mask), None) is None


def test_summary_values_and_text():
    image = np.full((10, 10), -700.0, np.float32)
    values = shape_summary(Shape("rectangle", ((0.0, 0.0), (4.0, 5.0))), image, (1.0, 2.0))
    assert values["mean"] == -700 and values["area"] == 40 and values["value_unit"] == "HU"
    assert summary_text("rectangle", values) == "mean -700 HU, SD 0 · min -700, max -700 · 40.0 mm²"
    assert summary_text("rectangle", values, "\n").splitlines()[2] == "40.0 mm²"
    ruler = shape_summary(Shape("ruler", ((0.0, 0.0), (0.0, 3.0))), None, None)
    assert summary_text("ruler", ruler) == "3.0 px"
    with pytest.raises(ValueError):
        Shape("circle", ())
