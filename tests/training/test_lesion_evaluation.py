"""Figures of the lesion model's evaluation: AUC, intervals, FROC and the threshold rule."""

import numpy as np
import pytest

from lungview.training.lesion_evaluation import (
    ScoredCandidate,
    auc,
    box_iou,
    centre_in,
    froc,
    froc_at,
    threshold_for_false_findings,
    wilson,
)


def test_auc_counts_ties_as_half_and_needs_both_classes():
    assert auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.8, 0.2])) == 1.0
    assert auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    assert auc(np.array([1, 1]), np.array([0.5, 0.6])) is None


def test_wilson_interval_contains_the_proportion():
    low, high = wilson(8, 10)
    assert low < 0.8 < high and 0 <= low and high <= 1
    assert wilson(0, 0) is None


def test_boxes():
    assert box_iou((0, 0, 9, 9), (0, 0, 9, 9)) == 1.0
    assert box_iou((0, 0, 9, 9), (10, 10, 19, 19)) == 0.0
    assert centre_in((4, 4, 6, 6), (0, 0, 10, 10)) and not centre_in((20, 20, 22, 22), (0, 0, 10, 10))


def test_threshold_allows_at_most_one_false_finding_per_scan():
    candidates = [
        ScoredCandidate("a", 0.9, True), ScoredCandidate("a", 0.8, False), ScoredCandidate("a", 0.7, False),
        ScoredCandidate("b", 0.6, True), ScoredCandidate("b", 0.5, False), ScoredCandidate("b", 0.4, False),
    ]
    threshold = threshold_for_false_findings(candidates, scans=2, floor=0.0)
    assert threshold == pytest.approx(0.6)  # at 0.5 three false findings over two scans
    curve = froc(candidates, ["a", "b"])
    assert froc_at(curve, 1.0) == 1.0 and froc_at(curve, 0.0) == 0.5
