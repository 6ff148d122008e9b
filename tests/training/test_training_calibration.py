"""Temperature scaling, calibration measures, threshold choice and bootstrap metrics."""

import numpy as np
import pytest

from lungview.training.calibration import (
    calibration_measures,
    expected_calibration_error,
    fit_temperature,
    softmax,
    threshold_for_sensitivity,
)
from lungview.training.metrics import classification_scores, evaluate_predictions


def test_temperature_recovers_overconfidence():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 1.5, size=(4000, 3))
    labels = np.array([rng.choice(3, p=p) for p in softmax(true_logits)])
    temperature = fit_temperature(true_logits * 3.0, labels)
    assert temperature == pytest.approx(3.0, rel=0.1)
    before = calibration_measures(softmax(true_logits * 3.0), labels)
    after = calibration_measures(softmax(true_logits * 3.0, temperature), labels)
    assert after["ece_15"] < before["ece_15"] and after["nll"] < before["nll"] and after["brier"] <= before["brier"]


def test_ece_of_certain_correct_predictions_is_zero():
    probabilities = np.eye(3)[[0, 1, 2, 1]]
    assert expected_calibration_error(probabilities, np.array([0, 1, 2, 1])) == pytest.approx(0.0)


def test_threshold_keeps_required_sensitivity():
    scores = np.linspace(0.01, 1.0, 100)
    is_cancer = np.ones(100, bool)
    threshold = threshold_for_sensitivity(scores, is_cancer, 0.98)
    assert (scores[is_cancer] >= threshold).mean() >= 0.98
    assert threshold == pytest.approx(scores[2])


def test_evaluate_predictions_reports_intervals_and_tables():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 200)
    probabilities = softmax(np.eye(3)[labels] * 3 + rng.normal(0, 1, (200, 3)))
    result = evaluate_predictions(
        probabilities, labels, ("a", "b", "normal"), cancer_columns=[0, 1], threshold=0.5, resamples=100
    )
    accuracy = result["metrics"]["accuracy"]
    assert accuracy["ci95"][0] <= accuracy["value"] <= accuracy["ci95"][1]
    assert np.array(result["confusion_matrix"]).sum() == 200
    assert set(result["roc"]) == {"a", "b", "normal"}


def test_sensitivity_at_specificity_operating_point():
    from lungview.training.metrics import scalar_metrics

    labels = np.array([0] * 50 + [1] * 50)  # class 1 is "normal"
    cancer_score = np.r_[np.linspace(0.5, 1.0, 50), np.linspace(0.0, 0.6, 50)]
    probabilities = np.c_[cancer_score, 1 - cancer_score]
    metrics = scalar_metrics(probabilities, labels, cancer_columns=[0], threshold=0.5)
    assert metrics["sensitivity"] == 1.0
    assert 0.8 < metrics["sensitivity_at_95_specificity"] < 1.0


def test_out_of_fold_logits_never_come_from_a_model_that_saw_the_group():
    from lungview.training.calibration import out_of_fold_logits

    groups = np.array([0, 0, 1, 2, 2, 3, 4, 4, 5, 6])

    def fit_predict(fit_index, held_index):
        assert not set(groups[fit_index]) & set(groups[held_index])
        return np.c_[held_index, np.full(len(held_index), len(fit_index))].astype(float)

    logits = out_of_fold_logits(fit_predict, groups, folds=3)
    assert logits[:, 0].tolist() == list(range(10))  # every sample predicted exactly once
    assert set(logits[:, 1]) <= {6.0, 7.0, 8.0}


def test_classification_scores_count_every_class_column():
    probabilities = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0], [0.1, 0.9, 0.0]])
    labels = np.array([0, 1, 1, 2])
    scores = classification_scores(probabilities, labels)
    assert scores["accuracy"] == 0.5
    # F1: class 0 = 2/3, class 1 = 1/2, class 2 = 0 (never predicted) -> mean 7/18
    assert abs(scores["macro_f1"] - 7 / 18) < 1e-12
