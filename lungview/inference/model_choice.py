"""Which shipped model classifies a slice, and which triages a series, when the user has not chosen."""

from collections.abc import Sequence

from lungview.volume import Series

#: Slice classifiers for pictures (pre-windowed PNG/JPG slices, what they were trained on), preferred first.
CLASSIFIER_PREFERENCE = ("ct-subtype-4", "ct-malignancy-3")
#: The lesion segmentation model trained on real CT series: the default for DICOM CT, where the picture-trained
#: classifiers are unreliable (see their model cards' limits).
LESION_MODEL = "ct-lesion-seg"
#: Retired model ids and the model that replaced them (a request for a retired id gets its successor, with a warning).
RETIRED_MODELS = {"ct-tumour-slice": LESION_MODEL}


def current_model_id(model_id: str) -> str:
    """``model_id``, or its successor when it names a retired model (logged as a warning)."""
    successor = RETIRED_MODELS.get(model_id)
    if successor is None:
        return model_id
    import logging

    logging.getLogger(__name__).warning("model %r was retired; using its successor %r", model_id, successor)
    return successor


def _is_dicom_ct(series: Series | None) -> bool:
    return series is not None and series.has_hu


def default_classifier_id(model_ids: list[str], series: Sequence[Series] = ()) -> str | None:
    """The slice classifier to use among ``model_ids``, or None when there is none.

    The tumour-slice model when every one of ``series`` is DICOM CT in HU and it is shipped; otherwise the preferred
    picture classifier (else the first id).
    """
    if series and all(_is_dicom_ct(s) for s in series) and LESION_MODEL in model_ids:
        return LESION_MODEL
    for model_id in CLASSIFIER_PREFERENCE:
        if model_id in model_ids:
            return model_id
    return model_ids[0] if model_ids else None


def default_triage_id(model_ids: list[str], series: Series | None, classifier_id: str | None) -> str | None:
    """The tumour-slice model for a DICOM CT series when it is shipped, else the chosen slice classifier."""
    if _is_dicom_ct(series) and LESION_MODEL in model_ids:
        return LESION_MODEL
    return classifier_id if classifier_id in model_ids else default_classifier_id(model_ids)


#: Modalities of DICOM objects that carry pixel data but are not images of the patient to classify.
NON_IMAGE_MODALITIES: dict[str, str] = {
    "SEG": "a segmentation (SEG) object, not an image",
    "RTDOSE": "a radiotherapy dose grid (RTDOSE), not an image",
    "RTSTRUCT": "a radiotherapy structure set (RTSTRUCT), not an image",
    "RTPLAN": "a radiotherapy plan (RTPLAN), not an image",
    "SR": "a structured report (SR), not an image",
    "PR": "a presentation state (PR), not an image",
    "KO": "a key-object selection (KO), not an image",
    "REG": "a registration object (REG), not an image",
}


def skip_reason(series: Series) -> str | None:
    """Why ``series`` must not be classified (a non-image object such as a SEG), or None when it may be."""
    return NON_IMAGE_MODALITIES.get(series.modality.upper())


def model_for_series(model_ids: list[str], series: Series, requested: str | None = None) -> str | None:
    """The model to analyse ``series`` with: ``requested`` when given, else the default for that series alone."""
    return requested or default_classifier_id(model_ids, [series])
