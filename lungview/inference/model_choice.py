"""Which shipped model classifies a slice, and which triages a series, when the user has not chosen."""

from lungview.volume import Series

#: Slice classifiers, preferred first.
CLASSIFIER_PREFERENCE = ("ct-subtype-4", "ct-malignancy-3")
#: The model trained on real CT series to find tumour slices (issue 9); the triage choice for DICOM series.
TUMOUR_SLICE_MODEL = "ct-tumour-slice"


def default_classifier_id(model_ids: list[str]) -> str | None:
    """The preferred slice classifier among ``model_ids`` (else the first id), or None when there is none."""
    for model_id in CLASSIFIER_PREFERENCE:
        if model_id in model_ids:
            return model_id
    return model_ids[0] if model_ids else None


def default_triage_id(model_ids: list[str], series: Series | None, classifier_id: str | None) -> str | None:
    """The tumour-slice model for a DICOM CT series when it is shipped, else the chosen slice classifier."""
    is_dicom_ct = series is not None and series.has_hu
    if is_dicom_ct and TUMOUR_SLICE_MODEL in model_ids:
        return TUMOUR_SLICE_MODEL
    return classifier_id if classifier_id in model_ids else default_classifier_id(model_ids)
