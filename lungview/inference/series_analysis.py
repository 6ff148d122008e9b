"""Which model analyses which series, and one slice's result for a lesion-finding model, shared by the commands.

``predict``, ``detect``, ``report`` and archive triage choose the model per series (a CT series beside pictures or
a SEG gets the CT model; the SEG is skipped with a reason, never classified). For a model whose card says it
finds lesions, a slice's cancer probability is the best score of the findings spanning it, so the slice flag,
the label, the lesion box and the findings can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lungview.detection import LesionFinder, SeriesLesions
from lungview.detection.eligibility import header_reason
from lungview.inference.classifier import Classification
from lungview.inference.jobs import SliceAnalysis
from lungview.inference.model_choice import model_for_series, skip_reason
from lungview.inference.once_per_key import OncePerKey
from lungview.models.ood import header_reasons
from lungview.models.prediction import Prediction, decided_class
from lungview.volume import Series, SkippedFile


@dataclass(frozen=True)
class SeriesPlan:
    """The series to analyse, each with its model id, and the series skipped with a reason."""

    analysed: tuple[tuple[Series, str], ...]
    skipped: tuple[SkippedFile, ...]


def plan_series(series: Sequence[Series], model_ids: list[str], requested: str | None = None) -> SeriesPlan:
    """Pair each analysable series with its model; list non-image objects (SEG, RTDOSE, ...) as skipped."""
    analysed, skipped = [], []
    for one in series:
        reason = skip_reason(one)
        model_id = None if reason else model_for_series(model_ids, one, requested)
        if reason or model_id is None:
            skipped.append(SkippedFile(series_folder(one), reason or "no shipped model can analyse it"))
        else:
            analysed.append((one, model_id))
    return SeriesPlan(tuple(analysed), tuple(skipped))


def series_folder(series: Series) -> str:
    """The folder of a series' first file (what a skipped-series message names)."""
    return str(Path(series.slices[0].path).parent) if series.slices else ""


def finds_lesions(classifier, series: Series) -> bool:
    """Whether ``classifier`` analyses ``series`` through lesion findings (its card says so and the series is CT)."""
    return classifier.card.lesion_finder and series.has_hu


def slice_from_lesions(lesions: SeriesLesions, series: Series, index: int, card) -> SliceAnalysis | None:
    """The analysis of slice ``index`` from the series' findings (None when the slice could not be decoded)."""
    score = lesions.slice_scores[index]
    if score is None:
        return None
    cancer = card.cancer_classes[0]
    other = next(name for name in card.classes if name not in card.cancer_classes)
    probabilities = {other: 1.0 - score, cancer: score}
    prediction = Prediction(
        {name: probabilities[name] for name in card.classes}, score, decided_class(probabilities, card, score)
    )
    reasons = tuple(header_reasons(series, series.slices[index]))
    return SliceAnalysis(series.key, index, card.id, Classification(prediction, None), reasons)


def attention_class(card, prediction: Prediction) -> str:
    """The class whose attention map is shown: the cancer class for a lesion finder (its other class has no map),
    else the class the slice is shown as."""
    return card.cancer_classes[0] if card.lesion_finder else prediction.predicted


def find_lesions(classifier, series: Series, store=None, progress=None, cancelled=None) -> SeriesLesions:
    """The findings of ``series`` by ``classifier``'s model; a series whose headers the eligibility rule refuses
    (:func:`~lungview.detection.eligibility.header_reason`) is not decoded and comes back ``not_evaluable``."""
    finder = LesionFinder(classifier)
    reason = header_reason(series)
    if reason is not None:
        card = classifier.card
        model = {"id": card.id, "version": card.version, "sha256": card.sha256}
        return SeriesLesions(series.series_uid, model, float(card.threshold), (), (None,) * len(series), reason)
    return finder.find(series, store, progress, cancelled)


class LesionsCache:
    """Each series' findings by (model id, series key), computed once even when two workers ask at once; the
    ``capacity`` series used last are kept.

    The series key (:attr:`~lungview.volume.Series.key`) tells apart the stacks of one series UID."""

    def __init__(self, capacity: int = 4):
        self._results: OncePerKey[tuple[str, str], SeriesLesions] = OncePerKey(capacity)

    def get(self, classifier, series: Series, store=None, progress=None, cancelled=None) -> SeriesLesions:
        """The findings of ``series`` by ``classifier``, computed here unless known (a cancelled run is not kept)."""
        key = (classifier.card.id, series.key)
        return self._results.get(
            key,
            lambda: find_lesions(classifier, series, store, progress, cancelled),
            keep=lambda _lesions: cancelled is None or not cancelled(),
        )
