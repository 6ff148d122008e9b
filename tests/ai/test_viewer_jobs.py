"""The viewer's jobs without Qt: the blob model listed, loaded, run on a slice and on the sample series."""

from lungview.dicom import SliceStore
from lungview.inference.cache import ClassifierCache
from lungview.inference.viewer_jobs import (
    ModelReady,
    ModelsFound,
    cam_job,
    classify_job,
    find_models,
    load_model_job,
    triage_job,
)


def test_viewer_jobs_list_load_classify_explain_and_triage(blob_weights_dir, sample_series):
    cache = ClassifierCache(blob_weights_dir)
    assert find_models(cache) == ModelsFound(["blob"])
    ready = load_model_job(cache, "blob")
    assert isinstance(ready, ModelReady) and ready.card.id == "blob" and "gradcam" in ready.cam_methods

    store = SliceStore(sample_series)
    image = store.load(15)
    analysis = classify_job(cache, "blob", sample_series, 15, image, store)
    assert analysis.index == 15 and analysis.model_id == "blob"
    attention = cam_job(cache, "blob", sample_series, 15, image, "tumour", "gradcam")
    assert attention.heatmap.shape == image.shape

    outcome = triage_job(cache, "blob", store)
    assert outcome.lesions is None and outcome.threshold == ready.card.threshold
    assert len(outcome.result.cancer_probabilities) == len(sample_series)
