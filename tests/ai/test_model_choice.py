"""Which model classifies and which triages when the user has not chosen."""

import dataclasses

from lungview.inference.model_choice import default_classifier_id, default_triage_id


def test_default_classifier_prefers_the_subtype_model():
    assert default_classifier_id(["ct-malignancy-3", "ct-subtype-4"]) == "ct-subtype-4"
    assert default_classifier_id(["ct-malignancy-3", "other"]) == "ct-malignancy-3"
    assert default_classifier_id(["other"]) == "other"
    assert default_classifier_id([]) is None


def test_default_classifier_is_the_tumour_slice_model_for_dicom_ct_only(sample_series):
    ids = ["ct-subtype-4", "ct-tumour-slice"]
    pictures = dataclasses.replace(sample_series, has_hu=False, modality="OT", orientation=None)
    assert default_classifier_id(ids, [sample_series]) == "ct-tumour-slice"
    assert default_classifier_id(ids, [pictures]) == "ct-subtype-4"
    assert default_classifier_id(ids, [sample_series, pictures]) == "ct-subtype-4"
    assert default_classifier_id(["ct-subtype-4"], [sample_series]) == "ct-subtype-4"


def test_triage_uses_the_tumour_slice_model_for_dicom_ct_only(sample_series):
    ids = ["ct-subtype-4", "ct-tumour-slice"]
    assert default_triage_id(ids, sample_series, "ct-subtype-4") == "ct-tumour-slice"
    pictures = dataclasses.replace(sample_series, has_hu=False, modality="OT", orientation=None)
    assert default_triage_id(ids, pictures, "ct-subtype-4") == "ct-subtype-4"
    assert default_triage_id(["ct-subtype-4"], sample_series, "ct-subtype-4") == "ct-subtype-4"
    assert default_triage_id([], sample_series, None) is None
