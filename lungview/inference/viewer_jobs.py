"""The viewer's background jobs: list and load models, classify and explain a slice, triage a series.

Each is a module-level function of its inputs returning a frozen result, run on the window's latest-request-wins
runners (``lungview.qt.ai_controller``) with a lowered thread priority. Models come from a
:class:`~lungview.inference.cache.ClassifierCache`, so each loads once; for a lesion finder on CT, a slice's result
comes from the whole series' findings (:class:`~lungview.inference.series_analysis.LesionsCache`). Importing this
module does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lungview.detection.eligibility import not_evaluable_sentence
from lungview.inference.background import lower_thread_priority

if TYPE_CHECKING:
    import numpy as np

    from lungview.detection import SeriesLesions
    from lungview.dicom import SliceStore
    from lungview.inference.cache import ClassifierCache
    from lungview.inference.jobs import SliceAnalysis, SliceAttention, TriageResult
    from lungview.inference.series_analysis import LesionsCache
    from lungview.models import ModelCard
    from lungview.volume import Series


class NotEvaluableError(Exception):
    """The model cannot read the series at all (no lung found, not axial, ...); the message is a plain sentence."""


@dataclass(frozen=True)
class ModelsFound:
    """The shipped model ids."""

    model_ids: list[str]


@dataclass(frozen=True)
class ModelReady:
    """A classifier loaded in the background: its card, what computes its probabilities, its heatmap methods."""

    card: ModelCard
    backend: str
    cam_methods: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class TriageOutcome:
    """A triage result with the threshold of the model that made it, and its findings for a lesion finder."""

    result: TriageResult
    threshold: float
    lesions: SeriesLesions | None = None


def find_models(cache: ClassifierCache) -> ModelsFound:
    """List the shipped models."""
    lower_thread_priority()
    model_ids = cache.model_ids()
    return ModelsFound(model_ids)


def load_model_job(cache: ClassifierCache, model_id: str) -> ModelReady:
    """Load ``model_id`` (verified, fast path built) and import the Grad-CAM package.

    The import is done here, while the panel says "loading model…", because importing in any thread holds the
    GIL in long stretches (measured: GUI-thread gaps up to 440 ms while ``pytorch_grad_cam`` imports scikit-learn
    under load); done later it would stall the window in the middle of an analysis.
    """
    from lungview.inference.classifier import warm_up_cam

    lower_thread_priority()  # before ONNX Runtime starts its threads: they inherit it
    classifier = cache.get(model_id)
    warm_up_cam(classifier)
    return ModelReady(classifier.card, classifier.backend, classifier.cam_methods)


def classify_job(
    cache: ClassifierCache, model_id: str, series: Series, index: int, image: np.ndarray,
    store: SliceStore | None = None, lesions: LesionsCache | None = None,
) -> SliceAnalysis:
    """Classify one slice; for a lesion finder on CT, from the whole series' findings (computed once per series)."""
    from lungview.dicom import DecodeError
    from lungview.inference.jobs import classify_slice
    from lungview.inference.series_analysis import finds_lesions, slice_from_lesions

    lower_thread_priority()
    classifier = cache.get(model_id)
    if lesions is not None and finds_lesions(classifier, series):
        found = lesions.get(classifier, series, store)
        if found.not_evaluable:
            raise NotEvaluableError(not_evaluable_sentence(found.not_evaluable))
        analysis = slice_from_lesions(found, series, index, classifier.card)
        if analysis is None:
            raise DecodeError("this slice could not be decoded")
        return analysis
    return classify_slice(classifier, series, index, image)


def cam_job(
    cache: ClassifierCache, model_id: str, series: Series, index: int, image: np.ndarray, class_name: str, method: str
) -> SliceAttention:
    """The ``method`` heatmap of one slice for ``class_name`` (grad mode on in this worker)."""
    from lungview.inference.jobs import cam_for_slice

    lower_thread_priority()
    return cam_for_slice(cache.get(model_id), series, index, image, class_name, method)


def triage_job(
    cache: ClassifierCache, model_id: str, store: SliceStore, progress=None, cancelled=None,
    lesions: LesionsCache | None = None,
) -> TriageOutcome:
    """Score every slice of ``store.series``; a lesion finder also returns the series' findings."""
    import numpy as np

    from lungview.inference.jobs import TriageResult, triage_series
    from lungview.inference.series_analysis import finds_lesions

    lower_thread_priority()
    classifier = cache.get(model_id)
    series = store.series
    if lesions is None or not finds_lesions(classifier, series):
        return TriageOutcome(triage_series(classifier, store, progress, cancelled), classifier.card.threshold)
    found = lesions.get(classifier, series, store, progress, cancelled)
    scores = np.array([np.nan if s is None else s for s in found.slice_scores], np.float32)
    failures = {} if found.not_evaluable else {
        i: store.failed(i) or "not decoded" for i, s in enumerate(found.slice_scores) if s is None
    }
    complete = cancelled is None or not cancelled()
    result = TriageResult(series.key, model_id, scores, failures, {}, complete)
    return TriageOutcome(result, classifier.card.threshold, found)
