"""Load a lesion-finding model once and run it on whole series."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from lungview.detection.lesions import SeriesLesions
from lungview.dicom import SliceStore
from lungview.volume import Series


class LesionFinder:
    """A verified model that finds lesion candidates in a CT series (load once per process, reuse per series)."""

    def __init__(self, classifier):
        self.classifier = classifier
        self.card = classifier.card

    @classmethod
    def load(cls, model_id: str = "ct-tumour-slice", weights_dir: Path | None = None) -> LesionFinder:
        """Load ``model_id`` and check its weights against the card's sha256 (raises ``ModelError``)."""
        from lungview.inference.classifier import load_quickly

        return cls(load_quickly(model_id, weights_dir))

    @property
    def model(self) -> dict:
        """``{"id", "version", "sha256"}`` of the model."""
        return {"id": self.card.id, "version": self.card.version, "sha256": self.card.sha256}

    def find(
        self,
        series: Series,
        store: SliceStore | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SeriesLesions:
        """Score every slice of ``series`` and return its ranked lesion candidates."""
        from lungview.inference.jobs import triage_series

        store = store or SliceStore(series, max_bytes=512 * 1024**2)
        triage = triage_series(self.classifier, store, progress, cancelled)
        scores = tuple(None if np.isnan(p) else float(p) for p in triage.cancer_probabilities)
        return SeriesLesions(series.series_uid, self.model, float(self.card.threshold or 0.5), (), scores)
