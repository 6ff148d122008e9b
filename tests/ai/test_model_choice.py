"""Which model classifies and which triages when the user has not chosen."""

import dataclasses

from lungview.inference.model_choice import default_classifier_id, default_triage_id


def test_default_classifier_prefers_the_subtype_model():
    assert default_classifier_id(["ct-malignancy-3", "ct-subtype-4"]) == "ct-subtype-4"
    assert default_classifier_id(["ct-malignancy-3", "other"]) == "ct-malignancy-3"
    assert default_classifier_id(["other"]) == "other"
    assert default_classifier_id([]) is None


def test_default_classifier_is_the_tumour_slice_model_for_dicom_ct_only(sample_series):
    ids = ["ct-subtype-4", "ct-lesion-seg"]
    pictures = dataclasses.replace(sample_series, has_hu=False, modality="OT", orientation=None)
    assert default_classifier_id(ids, [sample_series]) == "ct-lesion-seg"
    assert default_classifier_id(ids, [pictures]) == "ct-subtype-4"
    assert default_classifier_id(ids, [sample_series, pictures]) == "ct-subtype-4"
    assert default_classifier_id(["ct-subtype-4"], [sample_series]) == "ct-subtype-4"


def test_triage_uses_the_tumour_slice_model_for_dicom_ct_only(sample_series):
    ids = ["ct-subtype-4", "ct-lesion-seg"]
    assert default_triage_id(ids, sample_series, "ct-subtype-4") == "ct-lesion-seg"
    pictures = dataclasses.replace(sample_series, has_hu=False, modality="OT", orientation=None)
    assert default_triage_id(ids, pictures, "ct-subtype-4") == "ct-subtype-4"
    assert default_triage_id(["ct-subtype-4"], sample_series, "ct-subtype-4") == "ct-subtype-4"
    assert default_triage_id([], sample_series, None) is None


def test_each_series_gets_its_own_model_and_non_image_objects_are_skipped(sample_series):
    from lungview.inference.series_analysis import plan_series

    ids = ["ct-subtype-4", "ct-lesion-seg"]
    pictures = dataclasses.replace(sample_series, has_hu=False, modality="OT", orientation=None, series_uid="p")
    seg = dataclasses.replace(sample_series, has_hu=False, modality="SEG", series_uid="s")
    dose = dataclasses.replace(sample_series, modality="RTDOSE", series_uid="d")
    plan = plan_series([seg, sample_series, pictures, dose], ids)
    assert [(series.series_uid, model) for series, model in plan.analysed] == [
        (sample_series.series_uid, "ct-lesion-seg"),
        ("p", "ct-subtype-4"),
    ]
    assert [reason.split(" (")[0] for reason in (s.reason for s in plan.skipped)] == [
        "a segmentation",
        "a radiotherapy dose grid",
    ]
    forced = plan_series([sample_series, pictures], ids, requested="ct-subtype-4")
    assert {model for _, model in forced.analysed} == {"ct-subtype-4"}
