"""The AI second reader without Qt: load a classifier, classify a slice, explain it, triage a series.

``load_classifier(id)`` (slow: run it in a worker) gives a :class:`SliceClassifier`; the jobs
``classify_slice``, ``cam_for_slice`` and ``triage_series`` are pure functions of their inputs returning frozen
results, run by the viewer's background runners and by ``lungview predict``.
"""

from lungview.inference.classifier import Classification, SliceClassifier, load_classifier
from lungview.inference.jobs import (
    SliceAnalysis,
    SliceAttention,
    SliceBatch,
    TriageResult,
    cam_for_slice,
    classify_slice,
    classify_slices,
    model_input,
    triage_series,
)

__all__ = [
    "Classification",
    "SliceAnalysis",
    "SliceAttention",
    "SliceBatch",
    "SliceClassifier",
    "TriageResult",
    "cam_for_slice",
    "classify_slice",
    "classify_slices",
    "load_classifier",
    "model_input",
    "triage_series",
]
