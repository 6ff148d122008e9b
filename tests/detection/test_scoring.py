import numpy as np
import pytest

from lungview.detection.candidates import Blob
from lungview.detection.lesions import SeriesLesions
from lungview.detection.scoring import (
    Grid,
    ScoredBlob,
    bilinear,
    lesions_from_chains,
    merge_chains,
    slice_scores,
)


def _scored(index, box, p):
    blob = Blob(index, box, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), np.array([0]))
    return ScoredBlob(blob, blob.centroid, box, p)


def test_a_one_slice_chain_is_not_a_lesion():
    assert merge_chains([[_scored(3, (10, 10, 20, 20), 0.99)]]) == []


def test_chains_that_overlap_on_a_shared_slice_merge_and_keep_the_best_score():
    mass_a = [_scored(4, (10, 10, 30, 30), 0.9), _scored(5, (10, 10, 30, 30), 0.8)]
    mass_b = [_scored(5, (20, 20, 40, 40), 0.5), _scored(6, (20, 20, 40, 40), 0.4)]
    far = [_scored(5, (100, 100, 110, 110), 0.7), _scored(6, (100, 100, 110, 110), 0.6)]
    candidates = merge_chains([mass_b, far, mass_a])
    assert len(candidates) == 2
    assert candidates[0].score == pytest.approx(0.85)
    assert sorted(candidates[0].boxes) == [4, 5, 6]
    assert candidates[0].boxes[5] == (10, 10, 40, 40)
    assert candidates[0].boxes[6] == (20, 20, 40, 40)


def test_lesions_are_ranked_and_slices_take_the_best_spanning_score():
    identity = [(i + 1, f"uid{i}") for i in range(10)]
    low = [_scored(1, (0, 0, 5, 5), 0.2), _scored(2, (0, 0, 5, 5), 0.2)]
    high = [_scored(2, (50, 50, 60, 60), 0.7), _scored(3, (50, 50, 60, 60), 0.9)]
    lesions = lesions_from_chains([low, high], identity, lambda i, r, c: (float(i), r, c))
    assert [lesion.rank for lesion in lesions] == [1, 2]
    assert lesions[0].score == pytest.approx(0.8)
    assert lesions[0].slices[0].instance_number == 3 and lesions[0].slices[0].sop_instance_uid == "uid2"
    assert slice_scores(lesions, 10)[:5] == pytest.approx([0.0, 0.2, 0.8, 0.8, 0.0])
    result = SeriesLesions("s", {}, 0.5, tuple(lesions), tuple(slice_scores(lesions, 10)))
    assert result.findings == (lesions[0],)
    assert result.best_covering(2) is lesions[0]
    assert result.best_covering(1) is None


def test_grid_maps_original_pixels_to_cells():
    grid = Grid(top=0, left=0, scale=0.5, offset_rows=0, offset_columns=0, cell=16.0)
    assert grid.cell_position(15.5, 15.5) == pytest.approx((0.0, 0.0))
    plane = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert bilinear(plane, 1.5, 1.5) == pytest.approx(7.5)
    assert bilinear(plane, -3, 10) == pytest.approx(3.0)
