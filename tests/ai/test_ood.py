"""Out-of-scope reasons from the header, and the Mahalanobis out-of-distribution score."""

import dataclasses

import numpy as np
import pytest

from lungview.models.ood import FeatureReference, fit_feature_reference, header_reasons, score_reason
from lungview.volume import Series, SliceRef


def _series(**changes) -> Series:
    slice_ref = SliceRef("a.dcm", "1.2.3", 1, 0.0, (0.7, 0.7), 1.0)
    values = dict(
        series_uid="1.2", study_uid="1", modality="CT", description="", rows=512, columns=512,
        spacing=(1.0, 0.7, 0.7), orientation=(1, 0, 0, 0, 1, 0), slices=(slice_ref,), has_hu=True,
        image_type=("ORIGINAL", "PRIMARY", "AXIAL"),
    )
    values.update(changes)
    return Series(**values)


def test_axial_chest_ct_is_in_scope():
    series = _series()
    assert header_reasons(series, series.slices[0]) == []


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"modality": "MR", "has_hu": False}, "not CT"),
        ({"orientation": (0, 1, 0, 0, 0, -1)}, "not axial"),
        ({"image_type": ("ORIGINAL", "PRIMARY", "LOCALIZER")}, "localiser"),
    ],
)
def test_header_reasons_name_the_problem(changes, words):
    series = _series(**changes)
    reasons = header_reasons(series, series.slices[0])
    assert len(reasons) == 1 and words in reasons[0]


def test_pixel_spacing_far_from_chest_ct_is_flagged():
    series = _series()
    far = dataclasses.replace(series.slices[0], pixel_spacing=(3.0, 3.0))
    assert "pixel spacing" in header_reasons(series, far)[0]


def test_plain_pictures_are_left_to_the_score():
    series = _series(modality="OT", orientation=None, has_hu=False, image_type=())
    assert header_reasons(series, series.slices[0]) == []


def test_reference_scores_outliers_above_its_threshold(tmp_path):
    rng = np.random.default_rng(0)
    train = rng.normal(size=(300, 40)) * np.linspace(3, 0.1, 40)
    held_out = rng.normal(size=(100, 40)) * np.linspace(3, 0.1, 40)
    reference = fit_feature_reference(train, held_out, components=8, quantile=0.99, model_sha256="ab" * 32)
    inliers = reference.score(held_out)
    assert np.mean(inliers > reference.threshold) <= 0.02
    outliers = reference.score(held_out + 5.0)
    assert np.all(outliers > reference.threshold)
    reference.save(tmp_path / "ood.npz")
    loaded = FeatureReference.load(tmp_path / "ood.npz")
    assert np.allclose(loaded.score(held_out), inliers, rtol=1e-4) and loaded.model_sha256 == "ab" * 32
    assert score_reason(float(outliers[0]), loaded.threshold)
    assert score_reason(float(np.min(inliers)), loaded.threshold) == []


def test_unreadable_reference_is_a_plain_error(tmp_path):
    (tmp_path / "ood.npz").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="cannot be read"):
        FeatureReference.load(tmp_path / "ood.npz")
