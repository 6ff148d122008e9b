"""Which shipped model classifies a slice, and which triages a series, when the user has not chosen."""

from collections.abc import Sequence

from lungview.volume import Series

#: Slice classifiers for pictures (pre-windowed PNG/JPG slices, what they were trained on), preferred first.
CLASSIFIER_PREFERENCE = ("ct-subtype-4", "ct-malignancy-3")
#: The model trained on real CT series to find tumour slices (issue 9): the default for DICOM CT, where the
#: picture-trained classifiers are unreliable (see their model cards' limits).
TUMOUR_SLICE_MODEL = "ct-tumour-slice"


def _is_dicom_ct(series: Series | None) -> bool:
    return series is not None and series.has_hu


def default_classifier_id(model_ids: list[str], series: Sequence[Series] = ()) -> str | None:
    """The slice classifier to use among ``model_ids``, or None when there is none.

    The tumour-slice model when every one of ``series`` is DICOM CT in HU and it is shipped; otherwise the preferred
    picture classifier (else the first id).
    """
    if series and all(_is_dicom_ct(s) for s in series) and TUMOUR_SLICE_MODEL in model_ids:
        return TUMOUR_SLICE_MODEL
    for model_id in CLASSIFIER_PREFERENCE:
        if model_id in model_ids:
            return model_id
    return model_ids[0] if model_ids else None


def default_triage_id(model_ids: list[str], series: Series | None, classifier_id: str | None) -> str | None:
    """The tumour-slice model for a DICOM CT series when it is shipped, else the chosen slice classifier."""
    if _is_dicom_ct(series) and TUMOUR_SLICE_MODEL in model_ids:
        return TUMOUR_SLICE_MODEL
    return classifier_id if classifier_id in model_ids else default_classifier_id(model_ids)
