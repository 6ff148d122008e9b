"""Stack splitting, geometric sorting and geometry warnings, on small in-memory series."""

import math

import pytest

from lungview.dicom import scan_paths
from lungview.dicom.geometry import spacing_warnings

CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def _only_series(folder):
    result = scan_paths([folder])
    assert len(result.series) == 1, result
    return result.series[0]


def test_uniform_stack_has_spacing_and_no_warnings(ct_stack):
    series = _only_series(ct_stack)

    assert series.spacing == (1.0, 0.5, 0.5)
    assert series.warnings == ()
    assert series.orientation == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def test_series_mixing_orientations_and_sizes_is_split(tmp_path, write_stack):
    write_stack(tmp_path / "axial", [0.0, 1.0, 2.0])
    write_stack(tmp_path / "coronal", [0.0, 1.0], orientation=CORONAL)
    write_stack(tmp_path / "small", [5.0, 6.0], size=(4, 4))

    series = scan_paths([tmp_path]).series

    assert sorted(len(s) for s in series) == [2, 2, 3]
    assert all(s.series_uid == "1.2.3.4" for s in series)
    note = series[0].warnings[0]
    assert "orientations" in note and "image sizes (4×4, 8×8)" in note and "3 separate stacks" in note
    assert {s.description for s in series} == {f"test series (part {n} of 3)" for n in (1, 2, 3)}


def test_two_acquisitions_at_the_same_positions_are_split(tmp_path, write_stack):
    write_stack(tmp_path / "first", [0.0, 1.0, 2.0], acquisition=1)
    write_stack(tmp_path / "second", [0.0, 1.0, 2.0], acquisition=2)

    series = scan_paths([tmp_path]).series

    assert [len(s) for s in series] == [3, 3]
    assert "acquisitions" in series[0].warnings[0]


def test_duplicate_positions_are_reported(tmp_path, write_stack):
    series = _only_series(write_stack(tmp_path, [0.0, 1.0, 1.0, 2.0])[0].parent)

    assert any("repeat the position" in w for w in series.warnings)


def test_gap_is_reported(tmp_path, write_stack):
    series = _only_series(write_stack(tmp_path, [0.0, 1.0, 2.0, 3.0, 7.0, 8.0])[0].parent)

    assert series.spacing[0] == 1.0
    assert any(w.startswith("Gap of 4.0 mm between z = 3.0 and 7.0 mm") for w in series.warnings)


def test_non_uniform_spacing_is_reported():
    warnings = spacing_warnings([0.0, 1.0, 2.0, 3.3, 4.3, 5.3])

    assert len(warnings) == 1 and warnings[0].startswith("Slice spacing is not uniform")


def test_gantry_tilt_is_reported(tmp_path, make_ct, write):
    shear = math.tan(math.radians(15))
    for i in range(4):
        write(make_ct(position=(0.0, i * shear, float(i)), instance=i + 1), tmp_path / f"{i}.dcm")

    series = _only_series(tmp_path)

    assert any(w.startswith("Gantry tilt of 15.0°") for w in series.warnings)


def test_oblique_stack_sorts_along_its_normal(tmp_path, make_ct, write):
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    orientation = (1.0, 0.0, 0.0, 0.0, c, s)
    normal = (0.0, -s, c)
    for i, step in enumerate([2, 0, 1]):
        position = tuple(step * 2.0 * n for n in normal)
        write(make_ct(position=position, orientation=orientation, instance=i + 1), tmp_path / f"{i}.dcm")

    series = _only_series(tmp_path)

    assert [r.z for r in series.slices] == pytest.approx([0.0, 2.0, 4.0])
    assert [r.instance_number for r in series.slices] == [2, 3, 1]
    assert series.warnings == ()


def test_slices_without_position_keep_instance_order_with_a_warning(tmp_path, make_ct, write):
    for i in (3, 1, 2):
        write(make_ct(position=None, instance=i), tmp_path / f"{i}.dcm")

    series = _only_series(tmp_path)

    assert [r.instance_number for r in series.slices] == [1, 2, 3]
    assert any("no position" in w for w in series.warnings)
