"""Find lesions in a whole CT series with a lesion segmentation network, in 3-D.

:class:`LesionFinder` wraps a loaded segmentation model (anything with a ``card`` and a
``probabilities(inputs) -> [n, size, size]`` method, e.g. :class:`lungview.inference.lesion_segmenter.
LesionSegmenter`): every decoded slice becomes a 2.5-D network input (:mod:`lungview.models.lesion_input`), the
network gives each pixel a tumour probability, and :mod:`lungview.detection.components` turns the probability
volume into ranked, measured candidates. Planes without lung are not sent through the network (their
probability is zero): nothing outside the chest can become a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from lungview.detection.components import Calibration, lesions_from_map, network_lung, slice_scores
from lungview.detection.eligibility import NO_LUNG, not_evaluable_reason
from lungview.detection.lesions import SeriesLesions
from lungview.dicom import DecodeError, SliceStore
from lungview.models.lesion_input import network_inputs, resize_hu
from lungview.volume import Series

#: Slices per network batch.
BATCH_SIZE = 16
#: The finder reads a stack of any length; how short a series they accept is the callers' rule (detect, triage).
MIN_SLICES = 1
#: Why a series none of whose slices could be decoded was not read.
NO_SLICE_DECODED = "no slice could be decoded"


class Segmenter(Protocol):
    card: object

    def probabilities(self, inputs: np.ndarray) -> np.ndarray: ...


def card_calibration(card) -> Calibration:
    """The calibration a segmentation model's card carries."""
    settings = card.segmentation
    return Calibration(
        float(settings["calibration"]["slope"]),
        float(settings["calibration"]["intercept"]),
        float(settings["pixel_threshold"]),
    )


class LesionFinder:
    """A loaded lesion segmentation model: :meth:`find` on each series."""

    def __init__(self, segmenter: Segmenter):
        self.segmenter = segmenter
        self.card = segmenter.card
        self.calibration = card_calibration(self.card)

    @property
    def model(self) -> dict:
        """``{"id", "version", "sha256"}`` of the model."""
        return {"id": self.card.id, "version": self.card.version, "sha256": self.card.sha256}

    def _result(self, series: Series, candidates=(), scores=None, reason: str | None = None) -> SeriesLesions:
        scores = scores if scores is not None else (None,) * len(series)
        return SeriesLesions(series.series_uid, self.model, float(self.card.threshold), tuple(candidates),
                             tuple(scores), reason)

    def probability_volume(
        self, resized: np.ndarray, positions: np.ndarray, lung: np.ndarray,
        cancelled: Callable[[], bool] | None = None,
    ) -> np.ndarray | None:
        """Tumour probabilities ``[n, size, size]`` of the planes, zero on planes without lung (None once
        cancelled)."""
        probabilities = np.zeros(resized.shape, np.float32)
        inputs = network_inputs(resized, positions)
        planes = np.flatnonzero(lung.any(axis=(1, 2)))
        for start in range(0, len(planes), BATCH_SIZE):
            if cancelled is not None and cancelled():
                return None
            chosen = planes[start : start + BATCH_SIZE]
            probabilities[chosen] = self.segmenter.probabilities(inputs[chosen])
        return probabilities

    def find_in_images(
        self, series: Series, images: dict[int, np.ndarray], cancelled: Callable[[], bool] | None = None
    ) -> SeriesLesions:
        """Lesions of ``series`` whose decoded HU slices are ``images`` (slice index -> HU; slices missing from
        it are gaps and get no score)."""
        indices = sorted(images)
        reason = not_evaluable_reason(series, images, min_slices=MIN_SLICES)
        if reason is not None:
            return self._result(series, reason=reason)
        size = int(self.card.segmentation["input_size"])
        resized = np.stack([resize_hu(images[i], size) for i in indices])
        lung = network_lung(resized, series, size / max(series.rows, series.columns))
        if not lung.any():  # e.g. lungs cut by the field of view: nothing can be looked at, never "nothing found"
            return self._result(series, reason=NO_LUNG)
        positions = np.array([series.slices[i].z for i in indices], np.float64)
        probabilities = self.probability_volume(resized, positions, lung, cancelled)
        if probabilities is None:
            return self._result(series)
        candidates = lesions_from_map(probabilities, lung, indices, images, series, self.calibration)
        scores = slice_scores(candidates, probabilities, lung, indices, len(series), self.calibration)
        return self._result(series, candidates, scores)

    def find(
        self,
        series: Series,
        store: SliceStore | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SeriesLesions:
        """Decode every slice of ``series`` and return its ranked lesion candidates (slices that fail to decode are
        left out; once ``cancelled()`` is true it stops and returns no candidate)."""
        reason = not_evaluable_reason(series, min_slices=MIN_SLICES)
        if reason is not None:
            return self._result(series, reason=reason)
        store = store or SliceStore(series, max_bytes=1024**3)
        store.prefetch(range(len(series)), cancelled=cancelled)
        images = {}
        for index in range(len(series)):
            if cancelled is not None and cancelled():
                return self._result(series)
            try:
                images[index] = store.load(index)
            except DecodeError:
                continue
            if progress is not None:
                progress(index + 1, len(series))
        if not images:
            return self._result(series, reason=NO_SLICE_DECODED)
        return self.find_in_images(series, images, cancelled)
