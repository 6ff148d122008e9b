"""Reformatting: coronal and sagittal planes against numpy slicing, true spacing, resampling and refusals."""

import dataclasses

import numpy as np
import pytest

from lungview.planes.reformat import ReformatError, check_reformattable, resample_planes, stack_volume, uniform_grid
from lungview.volume import Series, SliceRef

SPACING = (2.5, 0.7, 0.7)  # (z, row, col) mm: anisotropic like a thick-slice CT
SHAPE = (40, 64, 64)
CENTRE_MM = (50.0, 22.4, 22.4)
RADIUS_MM = 15.0


def _series(z: list[float], spacing=(0.7, 0.7), warnings=()) -> Series:
    slices = tuple(SliceRef(f"s{i}.dcm", f"1.2.{i}", i + 1, value, spacing, 2.5) for i, value in enumerate(z))
    return Series(
        "1.2.3",
        "1.2",
        "CT",
        "synthetic",
        SHAPE[1],
        SHAPE[2],
        (2.5, *spacing) if spacing else None,
        (1, 0, 0, 0, 1, 0),
        slices,
        True,
        tuple(warnings),
    )


def _sphere(z: np.ndarray) -> np.ndarray:
    """A 1000 HU ball of RADIUS_MM in -1000 HU air, sampled at slice positions ``z`` (mm)."""
    rows = (np.arange(SHAPE[1]) + 0.5) * SPACING[1]
    cols = (np.arange(SHAPE[2]) + 0.5) * SPACING[2]
    zz, rr, cc = np.meshgrid(z, rows, cols, indexing="ij")
    inside = (zz - CENTRE_MM[0]) ** 2 + (rr - CENTRE_MM[1]) ** 2 + (cc - CENTRE_MM[2]) ** 2 <= RADIUS_MM**2
    return np.where(inside, 1000.0, -1000.0).astype(np.float32)


def _extent_mm(image: np.ndarray, spacing: tuple[float, float]) -> tuple[float, float]:
    """Height and width in mm of the bright region of a plane image."""
    rows, cols = np.nonzero(image > 0)
    return ((rows.max() - rows.min() + 1) * spacing[0], (cols.max() - cols.min() + 1) * spacing[1])


def test_planes_are_numpy_slices_with_the_head_on_top():
    z = np.arange(SHAPE[0]) * SPACING[0]
    data = np.random.default_rng(0).normal(size=SHAPE).astype(np.float32)
    volume = stack_volume(lambda i: data[i], _series(list(z)))
    assert not volume.resampled
    np.testing.assert_array_equal(volume.coronal(10), data[::-1, 10, :])
    np.testing.assert_array_equal(volume.sagittal(33), data[::-1, :, 33])
    assert volume.plane_spacing("coronal") == (2.5, 0.7)
    assert volume.plane_spacing("sagittal") == (2.5, 0.7)
    assert volume.display_row(volume.plane_of_slice(0)) == SHAPE[0] - 1  # the lowest slice is the bottom row


def test_a_sphere_stays_round_in_mm_in_every_plane():
    z = np.arange(SHAPE[0]) * SPACING[0]
    data = _sphere(z)
    volume = stack_volume(lambda i: data[i], _series(list(z)))
    centre_row = int(CENTRE_MM[1] / SPACING[1])
    centre_slice = int(round(CENTRE_MM[0] / SPACING[0]))
    axial = _extent_mm(data[centre_slice], (SPACING[1], SPACING[2]))
    coronal = _extent_mm(volume.coronal(centre_row), volume.plane_spacing("coronal"))
    sagittal = _extent_mm(volume.sagittal(centre_row), volume.plane_spacing("sagittal"))
    for height, width in (axial, coronal, sagittal):
        # within one voxel step of the true 30 mm diameter in both directions, so round, not squashed 3.6:1
        assert abs(height - 2 * RADIUS_MM) <= SPACING[0] and abs(width - 2 * RADIUS_MM) <= SPACING[0]
    assert coronal[0] / coronal[1] == pytest.approx(1.0, abs=0.1)


def test_uneven_positions_are_resampled_onto_a_uniform_grid():
    z = np.arange(SHAPE[0]) * SPACING[0]
    z[1::2] += 0.6  # alternate steps of 3.1 and 1.9 mm
    data = _sphere(z)
    volume = stack_volume(lambda i: data[i], _series(list(z)))
    assert volume.resampled
    assert volume.step == pytest.approx((z[-1] - z[0]) / (len(z) - 1))
    # every plane sits at z0 + p * step: the truth there is a linear blend of its two neighbours
    for plane in (3, 17, 30):
        position = volume.z0 + plane * volume.step
        below = np.searchsorted(z, position, side="right") - 1
        weight = (position - z[below]) / (z[below + 1] - z[below])
        np.testing.assert_allclose(volume.hu[plane], (1 - weight) * data[below] + weight * data[below + 1], atol=1e-3)
    assert volume.slice_of_plane(volume.plane_of_slice(7)) == 7


def test_resample_planes_is_exact_on_a_linear_ramp():
    z = np.array([0.0, 1.0, 3.0, 4.0])
    slices = np.broadcast_to(z[:, None, None], (4, 2, 2)).astype(np.float32)
    out = resample_planes(slices, z, 0.0, 0.5, 9)
    np.testing.assert_allclose(out[:, 0, 0], np.arange(9) * 0.5)


@pytest.mark.parametrize(
    ("z", "warnings", "message"),
    [
        ([0.0, 2.5, 2.5, 5.0], (), "share a position"),
        ([0.0, 2.5, 5.0, 12.5, 15.0], (), "missing"),
        (
            [0.0, 2.5, 5.0],
            ("Gantry tilt of 12.0°: the slices are sheared, so distances and 3-D views are not exact.",),
            "tilted",
        ),
        ([0.0], (), "one image"),
    ],
)
def test_distorting_geometry_is_refused_with_a_sentence(z, warnings, message):
    with pytest.raises(ReformatError, match=message):
        check_reformattable(_series(z, warnings=warnings))


def test_no_pixel_spacing_is_refused():
    series = dataclasses.replace(_series([0.0, 1.0]), spacing=None)
    with pytest.raises(ReformatError, match="pixel spacing"):
        check_reformattable(series)


def test_uniform_grid_keeps_small_jitter_as_is():
    assert uniform_grid([0.0, 2.5, 5.001, 7.5]) == (0.0, 2.5, 4, False)


def test_stacking_stops_when_cancelled():
    z = list(np.arange(5) * 1.0)
    loaded = []
    result = stack_volume(
        lambda i: loaded.append(i) or np.zeros(SHAPE[1:]), _series(z), cancelled=lambda: len(loaded) >= 2
    )
    assert result is None and loaded == [0, 1]
