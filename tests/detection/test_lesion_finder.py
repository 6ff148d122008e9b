"""The lesion finder on a synthetic chest phantom with a stand-in network: components, measurements, one decision."""

import dataclasses

import numpy as np
import pytest
from detection.phantom import NODULE, NODULE_RADIUS_MM, PIXEL_MM, SHAPE, SLICE_MM, phantom

from lungview.detection.components import Calibration
from lungview.detection.eligibility import NO_LUNG
from lungview.detection.finder import NO_SLICE_DECODED, LesionFinder
from lungview.detection.measurements import attenuation, measure
from lungview.dicom import DecodeError
from lungview.models.lesion_input import SquareGeometry, resize_hu
from lungview.volume import Series, SliceRef

SIZE = 64


class Card:
    id, version, sha256, threshold = "fake-seg", "1.0.0", "0" * 64, 0.5
    cancer_classes = ("tumour",)
    segmentation = {"input_size": SIZE, "pixel_threshold": 0.5, "calibration": {"slope": 1.0, "intercept": 0.0}}


class StandInSegmenter:
    """Returns prepared probability planes in the order the finder asks for them."""

    card = Card()

    def __init__(self, planes: np.ndarray):
        self.planes = planes
        self.given = 0

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        out = self.planes[self.given : self.given + len(inputs)]
        self.given += len(inputs)
        return out


def phantom_series(slices: int) -> Series:
    refs = tuple(
        SliceRef(f"/p/{z}.dcm", f"1.2.{z}", z + 1, z * SLICE_MM, (PIXEL_MM, PIXEL_MM), SLICE_MM,
                 position=(-96.0, -96.0, z * SLICE_MM))
        for z in range(slices)
    )
    spacing = (SLICE_MM, PIXEL_MM, PIXEL_MM)
    return Series("1.2.3", "1.2", "CT", "phantom", *SHAPE, spacing, (1, 0, 0, 0, 1, 0), refs, True)


def blob_planes(slices: int, centre_rc: tuple[float, float], radius_px: float, z_range: range) -> np.ndarray:
    """Probability 0.9 in a disc (slice pixels) on the slices of ``z_range``, 0.05 elsewhere, on the network grid."""
    scale = SquareGeometry(*SHAPE, SIZE).scale
    rows, cols = np.mgrid[:SIZE, :SIZE] + 0.5
    distance = np.hypot(rows - (centre_rc[0] + 0.5) * scale, cols - (centre_rc[1] + 0.5) * scale)
    disc = distance <= radius_px * scale
    planes = np.full((slices, SIZE, SIZE), 0.05, np.float32)
    for z in z_range:
        planes[z][disc] = 0.9
    return planes


def find(volume: np.ndarray, planes: np.ndarray):
    finder = LesionFinder(StandInSegmenter(planes))
    return finder.find_in_images(phantom_series(len(volume)), dict(enumerate(volume)))


def test_a_nodule_in_the_lung_is_one_measured_finding():
    volume = phantom(20)
    radius_px = NODULE_RADIUS_MM / PIXEL_MM
    lesions = find(volume, blob_planes(20, NODULE[1:], radius_px, range(8, 13)))
    assert lesions.not_evaluable is None
    (lesion,) = lesions.candidates
    assert lesion.rank == 1 and lesion.score == pytest.approx(0.9, abs=1e-3)
    assert lesion.indices == (8, 9, 10, 11, 12) and lesion.centre_index in (9, 10, 11)
    row0, col0, row1, col1 = lesion.box_on(10)
    assert row0 <= NODULE[1] <= row1 and col0 <= NODULE[2] <= col1
    assert lesion.long_axis_mm == pytest.approx(2 * NODULE_RADIUS_MM, rel=0.25)
    assert lesion.short_axis_mm <= lesion.long_axis_mm
    cylinder_ml = np.pi * (NODULE_RADIUS_MM / 10) ** 2 * 5 * SLICE_MM / 10
    assert lesion.volume_ml == pytest.approx(cylinder_ml, rel=0.3)
    # the image's left is the patient's right when rows run to the patient's left (+x)
    assert lesion.side == "right" and lesion.zone == "middle"
    assert lesion.slices[2].mask.shape == (row1 - row0 + 1, col1 - col0 + 1)


def test_a_region_away_from_the_lung_is_no_candidate():
    volume = phantom(20, nodule=False)
    lesions = find(volume, blob_planes(20, (225, 128), 8, range(5, 15)))  # in the body wall below both lungs
    assert lesions.candidates == ()


def test_a_slice_is_flagged_exactly_where_a_finding_spans_it():
    volume = phantom(20)
    lesions = find(volume, blob_planes(20, NODULE[1:], NODULE_RADIUS_MM / PIXEL_MM, range(8, 13)))
    flagged = {i for i, score in enumerate(lesions.slice_scores) if score >= lesions.threshold}
    assert flagged == set(lesions.findings[0].indices)
    assert all(score is not None for score in lesions.slice_scores)


def test_a_series_without_lung_is_not_evaluable_and_never_scored():
    volume = np.full((20, *SHAPE), 40.0, np.float32)
    lesions = find(volume, blob_planes(20, (128, 128), 10, range(5, 15)))
    assert lesions.not_evaluable and lesions.candidates == ()
    assert set(lesions.slice_scores) == {None}


def test_calibration_is_monotone_and_candidates_never_score_below_its_floor():
    calibration = Calibration(2.0, -1.0, 0.5)
    values = calibration(np.array([0.5, 0.7, 0.99]))
    assert np.all(np.diff(values) > 0) and values[0] == pytest.approx(calibration.floor)


def test_resize_pads_a_rectangular_slice_with_air():
    resized = resize_hu(np.zeros((100, 200), np.float32), 50)
    assert resized.shape == (50, 50)
    assert resized[0, 25] == pytest.approx(-1024.0) and resized[25, 25] == pytest.approx(0.0)


def test_lungs_cut_by_the_field_of_view_are_not_evaluable_rather_than_clean():
    volume = phantom(20)[:, :, :100]  # the right lung runs into the image's right edge: not enclosed by the body
    series = dataclasses.replace(phantom_series(20), columns=100)
    finder = LesionFinder(StandInSegmenter(blob_planes(20, NODULE[1:], 8, range(8, 13))))
    lesions = finder.find_in_images(series, dict(enumerate(volume)))
    assert lesions.not_evaluable == NO_LUNG and lesions.candidates == ()


def test_a_series_none_of_whose_slices_decode_is_not_evaluable():
    class Undecodable:
        def prefetch(self, indices, cancelled=None):
            pass

        def load(self, index):
            raise DecodeError("broken")

    finder = LesionFinder(StandInSegmenter(blob_planes(20, NODULE[1:], 8, range(8, 13))))
    lesions = finder.find(phantom_series(20), Undecodable())
    assert lesions.not_evaluable == NO_SLICE_DECODED and set(lesions.slice_scores) == {None}


def test_a_small_solid_nodule_blurred_at_its_rim_is_solid():
    rows, cols = np.mgrid[:21, :21]
    distance = np.hypot(rows - 10, cols - 10)
    disc, core = distance <= 4, distance <= 2.5
    plane = np.where(core, 40.0, np.where(disc, -450.0, -850.0)).astype(np.float32)  # partial volume at the rim
    end = np.where(disc, -500.0, -850.0).astype(np.float32)
    masks, planes = [disc, disc, disc], [end, plane, end]
    assert attenuation(np.concatenate([p[m] for m, p in zip(masks, planes)])) != "solid"  # the whole mask
    assert measure(masks, planes, (1.25, 0.7, 0.7)).attenuation == "solid"


def test_sizes_need_a_known_spacing():
    disc = np.hypot(*(np.mgrid[:21, :21] - 10)) <= 4
    hu = np.where(disc, 40.0, -850.0).astype(np.float32)
    size = measure([disc], [hu], None)
    assert (size.long_axis_mm, size.short_axis_mm, size.volume_ml) == (None, None, None)
    assert size.mean_hu == 40.0 and size.attenuation == "solid"
