"""Background jobs of the AI second reader: pure functions of immutable inputs returning frozen results.

The viewer runs them on latest-request-wins runners; the command line calls them directly. None imports Qt.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from lungview.dicom import DecodeError, SliceStore
from lungview.inference.classifier import Classification, SliceClassifier
from lungview.models import ModelError
from lungview.models.ood import header_reasons, score_reason
from lungview.models.preprocess import read_grey_image
from lungview.volume import Series

#: Slices per batch in series triage and ``lungview predict``.
BATCH_SIZE = 8


@dataclass(frozen=True)
class SliceAnalysis:
    """The AI result for one slice: what the confidence table shows."""

    series_uid: str
    """The series' key (:attr:`~lungview.volume.Series.key`: the UID, and the stack where one UID holds several)."""
    index: int
    model_id: str
    classification: Classification
    out_of_scope: tuple[str, ...] = ()
    """Plain reasons why the input is not what the model knows; empty when it is."""


@dataclass(frozen=True, eq=False)
class SliceAttention:
    """A Grad-CAM heatmap for one slice and class: model attention, not lesion location."""

    series_uid: str
    """The series' key (:attr:`~lungview.volume.Series.key`)."""
    index: int
    model_id: str
    class_name: str
    method: str
    heatmap: np.ndarray
    """[0, 1] float32 on the slice's pixel grid."""

    @property
    def peak(self) -> tuple[int, int]:
        """(row, column) of the strongest attention in the slice's pixels."""
        row, col = np.unravel_index(int(np.argmax(self.heatmap)), self.heatmap.shape)
        return int(row), int(col)


@dataclass(frozen=True, eq=False)
class TriageResult:
    """Cancer probability of every slice of a series (NaN where a slice was not scored)."""

    series_uid: str
    """The series' key (:attr:`~lungview.volume.Series.key`)."""
    model_id: str
    cancer_probabilities: np.ndarray
    failures: dict[int, str] = field(default_factory=dict)
    """Slice index -> why it could not be scored."""
    out_of_scope: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Slice index -> reasons, for slices outside what the model knows."""
    complete: bool = True
    """False when the triage was cancelled before every slice was scored."""

    def most_suspicious(self, count: int = 10) -> list[tuple[int, float]]:
        """Up to ``count`` (index, cancer probability) pairs, most probable first; unscored slices left out."""
        scored = [(i, float(p)) for i, p in enumerate(self.cancer_probabilities) if not math.isnan(p)]
        return sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:count]


def model_input(series: Series, index: int, image: np.ndarray) -> np.ndarray:
    """The pixels the model should see for slice ``index``: HU as decoded, or a plain picture read as in training.

    Plain PNG/JPG slices are re-read with the model's own reader (colour annotation marks painted out), so the
    model sees exactly what it was trained on, whatever the display shows.
    """
    slice_ref = series.slices[index]
    if series.has_hu or slice_ref.sop_instance_uid:
        return image
    try:
        return read_grey_image(slice_ref.path)
    except (ValueError, OSError):
        return image


def _reasons(series: Series, index: int, classification: Classification, threshold: float | None) -> tuple[str, ...]:
    reasons = header_reasons(series, series.slices[index])
    if classification.ood_score is not None and threshold is not None:
        reasons += score_reason(classification.ood_score, threshold)
    return tuple(reasons)


def classify_slice(classifier: SliceClassifier, series: Series, index: int, image: np.ndarray) -> SliceAnalysis:
    """Classify slice ``index`` of ``series`` whose decoded pixels are ``image``."""
    (classification,) = classifier.classify([model_input(series, index, image)], series.has_hu)
    reasons = _reasons(series, index, classification, classifier.ood_threshold)
    return SliceAnalysis(series.key, index, classifier.card.id, classification, reasons)


def cam_for_slice(
    classifier: SliceClassifier, series: Series, index: int, image: np.ndarray, class_name: str, method: str = "gradcam"
) -> SliceAttention:
    """The ``method`` heatmap of slice ``index`` for ``class_name`` (PyTorch, grad mode on in this thread)."""
    heatmap = classifier.cam(model_input(series, index, image), series.has_hu, class_name, method)
    heatmap = np.asarray(heatmap, np.float32)
    return SliceAttention(series.key, index, classifier.card.id, class_name, method, heatmap)


@dataclass(frozen=True)
class SliceBatch:
    """The analyses of several slices of one series, and why others could not be analysed."""

    analyses: dict[int, SliceAnalysis]
    failures: dict[int, str]
    """Slice index -> why it could not be decoded or classified."""
    complete: bool
    """False when cancelled before every slice was analysed."""


def classify_slices(
    classifier: SliceClassifier,
    store: SliceStore,
    indices: Sequence[int],
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    batch_size: int = BATCH_SIZE,
) -> SliceBatch:
    """Classify slices ``indices`` of ``store.series`` in batches; stops early when ``cancelled()`` turns true.

    Two threads decode and preprocess the next batch while the model (with two threads of its own) scores the
    current one.
    """
    series = store.series
    analyses: dict[int, SliceAnalysis] = {}
    failures: dict[int, str] = {}

    def prepared(index: int) -> np.ndarray | str:
        try:
            image = model_input(series, index, store.load(index))
            return classifier.prepare([image], series.has_hu)[0]
        except (DecodeError, ModelError, OSError) as error:
            return getattr(error, "reason", str(error))

    batches = [indices[start : start + batch_size] for start in range(0, len(indices), batch_size)]
    done = 0
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="lungview-triage") as pool:
        upcoming = pool.map(prepared, batches[0]) if batches else iter(())
        for number, batch in enumerate(batches):
            inputs = list(upcoming)
            if cancelled is not None and cancelled():
                return SliceBatch(analyses, failures, complete=False)
            if number + 1 < len(batches):
                upcoming = pool.map(prepared, batches[number + 1])
            ready = [(index, x) for index, x in zip(batch, inputs) if not isinstance(x, str)]
            failures.update({index: x for index, x in zip(batch, inputs) if isinstance(x, str)})
            if ready:
                results = classifier.classify_batch(np.stack([x for _, x in ready]))
                for (index, _), classification in zip(ready, results):
                    reasons = _reasons(series, index, classification, classifier.ood_threshold)
                    analyses[index] = SliceAnalysis(
                        series.key, index, classifier.card.id, classification, reasons
                    )
            done += len(batch)
            if progress is not None:
                progress(done, len(indices))
    return SliceBatch(analyses, failures, complete=True)


def triage_series(
    classifier: SliceClassifier,
    store: SliceStore,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> TriageResult:
    """Cancer probability of every slice of ``store.series``; a cancelled triage keeps what it scored."""
    series = store.series
    batch = classify_slices(classifier, store, range(len(series)), progress, cancelled)
    probabilities = np.full(len(series), np.nan, dtype=np.float32)
    for index, analysis in batch.analyses.items():
        probabilities[index] = analysis.classification.prediction.cancer_probability
    out_of_scope = {index: a.out_of_scope for index, a in batch.analyses.items() if a.out_of_scope}
    return TriageResult(
        series.key, classifier.card.id, probabilities, batch.failures, out_of_scope, batch.complete
    )
