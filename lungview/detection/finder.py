"""Find lesions in a whole CT series: candidates from the HU volume, scored by a network's cell map, in 3-D.

:func:`find_blob_chains` needs only the HU slices; :class:`LesionFinder` adds the network (loaded and verified
once, then reused for every series) and returns a :class:`~lungview.detection.lesions.SeriesLesions`. Only the
slices that hold a candidate spanning several slices go through the network, in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lungview.detection.candidates import Blob, link_blobs, reduce, volume_blobs, working_factor
from lungview.detection.eligibility import not_evaluable_reason
from lungview.detection.lesions import SeriesLesions
from lungview.detection.scoring import (
    MIN_SLICES,
    Grid,
    ScoredBlob,
    bilinear,
    lesions_from_chains,
    original_box,
    original_centre,
    probability,
    series_relative,
    slice_scores,
)
from lungview.dicom import DecodeError, SliceStore
from lungview.dicom.geometry import pixel_to_patient
from lungview.models.preprocess import PreprocessParams, letterbox_geometry, prepare_input
from lungview.volume import Series

#: Slices per network batch.
BATCH_SIZE = 8


@dataclass(frozen=True)
class BlobChains:
    """The candidate chains of a series and the working-grid reduction."""

    chains: tuple[tuple[Blob, ...], ...]
    factor: int

    @property
    def indices(self) -> list[int]:
        """The slices that hold a blob of a chain, in order."""
        return sorted({blob.index for chain in self.chains for blob in chain})


def find_blob_chains(
    images: Sequence[np.ndarray], pixel_mm: float | None, slice_mm: float | None, min_slices: int = MIN_SLICES
) -> BlobChains:
    """Candidate chains of at least ``min_slices`` blobs in HU slices ``images`` (in geometric order) of a series."""
    factor = working_factor(images[0].shape[1], pixel_mm)
    work_mm = (pixel_mm or 0.75) * factor
    blobs, _ = volume_blobs([reduce(image, factor) for image in images], work_mm, slice_mm or 2.5)
    chains = tuple(tuple(chain) for chain in link_blobs(blobs) if len(chain) >= min_slices)
    return BlobChains(chains, factor)


def network_grid(image_shape: tuple[int, int], params: PreprocessParams, crop, cells: int) -> Grid:
    """The :class:`Grid` of a slice whose network input came from ``crop`` (a ``CropBox``)."""
    resized_h, resized_w, top, left = letterbox_geometry(crop, params.size)
    return Grid(crop.top, crop.left, resized_h / crop.height, top, left, params.size / cells)


def sample_cells(cell_maps: np.ndarray, grid: Grid, points: Sequence[tuple[float, float]]) -> np.ndarray:
    """``cell_maps`` ``[C, h, w]`` bilinearly sampled at original-pixel ``points``: ``[len(points), C]``."""
    positions = [grid.cell_position(row, column) for row, column in points]
    return np.array([[bilinear(plane, r, c) for plane in cell_maps] for r, c in positions], np.float32).reshape(
        len(points), -1
    )


class LesionFinder:
    """A verified tumour-finding model: load once per process, then :meth:`find` on each series."""

    def __init__(self, classifier):
        self.classifier = classifier
        self.card = classifier.card

    @classmethod
    def load(cls, model_id: str = "ct-tumour-slice", weights_dir: Path | None = None) -> LesionFinder:
        """Load ``model_id`` and check its weights against the card's sha256 (raises ``ModelError``)."""
        from lungview.inference.classifier import load_classifier

        return cls(load_classifier(model_id, weights_dir, reuse_export=True))

    @property
    def model(self) -> dict:
        """``{"id", "version", "sha256"}`` of the model."""
        return {"id": self.card.id, "version": self.card.version, "sha256": self.card.sha256}

    def score_blobs(self, images: dict[int, np.ndarray], blobs: Sequence[Blob], factor: int) -> dict[int, ScoredBlob]:
        """Each blob (by ``id``) with its calibrated probability: the network's tumour-minus-other cell logit at the
        blob's centre, relative to the series' candidates. Each slice holding a blob goes through the network once."""
        params = self.card.preprocessing
        by_slice: dict[int, list[Blob]] = {}
        for blob in blobs:
            by_slice.setdefault(blob.index, []).append(blob)
        indices = sorted(by_slice)
        raw: list[tuple[Blob, tuple[float, float], float]] = []
        for start in range(0, len(indices), BATCH_SIZE):
            batch_indices = indices[start : start + BATCH_SIZE]
            prepared = [prepare_input(images[i], True, params) for i in batch_indices]
            maps = self.classifier.cell_logits(np.stack([x for x, _ in prepared]))
            margins = maps[:, -1] - maps[:, 0]
            for index, (_, crop), margin in zip(batch_indices, prepared, margins):
                grid = network_grid(images[index].shape, params, crop, margin.shape[-1])
                centres = [original_centre(blob, factor) for blob in by_slice[index]]
                logits = sample_cells(margin[None], grid, centres)[:, 0]
                raw += [(blob, centre, float(logit)) for blob, centre, logit in zip(by_slice[index], centres, logits)]
        relative = series_relative(np.array([logit for *_, logit in raw]))
        return {
            id(blob): ScoredBlob(
                blob,
                centre,
                original_box(blob, factor, images[blob.index].shape),
                float(probability(logit, self.card.temperature)),
            )
            for (blob, centre, _), logit in zip(raw, relative)
        }

    def find_in_images(self, series: Series, images: dict[int, np.ndarray]) -> SeriesLesions:
        """Lesions of ``series`` whose decoded HU slices are ``images`` (slice index -> HU; missing slices are
        treated as gaps)."""
        indices = sorted(images)
        first = series.slices[indices[0]]
        pixel_mm = first.pixel_spacing[0] if first.pixel_spacing else None
        found = find_blob_chains([images[i] for i in indices], pixel_mm, series.spacing[0] if series.spacing else None)
        # the search ran on the decoded slices only: give each blob its slice index in the series
        chains = [[replace(blob, index=indices[blob.index]) for blob in chain] for chain in found.chains]
        scored = self.score_blobs(images, [blob for chain in chains for blob in chain], found.factor)
        identity = [(s.instance_number, s.sop_instance_uid) for s in series.slices]
        lesions = lesions_from_chains(
            [[scored[id(blob)] for blob in chain] for chain in chains],
            identity,
            lambda index, row, column: pixel_to_patient(series, index, row, column),
        )
        scores = slice_scores(lesions, len(series))
        per_slice = tuple(scores[i] if i in images else None for i in range(len(series)))
        return SeriesLesions(series.series_uid, self.model, float(self.card.threshold), tuple(lesions), per_slice)

    def _nothing_found(self, series: Series) -> SeriesLesions:
        """No candidate and no slice analysed (nothing decoded, or cancelled)."""
        return SeriesLesions(series.series_uid, self.model, float(self.card.threshold), (), (None,) * len(series))

    def find(
        self,
        series: Series,
        store: SliceStore | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SeriesLesions:
        """Decode every slice of ``series`` and return its ranked lesion candidates (slices that fail to decode are
        left out; once ``cancelled()`` is true it stops and returns no candidate, without running the network). A
        series the eligibility rule cannot read (no lung found, not axial, ...) has ``not_evaluable`` set instead."""
        store = store or SliceStore(series, max_bytes=1024**3)
        store.prefetch(range(len(series)), cancelled=cancelled)
        images = {}
        for index in range(len(series)):
            if cancelled is not None and cancelled():
                return self._nothing_found(series)
            try:
                images[index] = store.load(index)
            except DecodeError:
                continue
            if progress is not None:
                progress(index + 1, len(series))
        if not images:
            return self._nothing_found(series)
        reason = not_evaluable_reason(series, images, min_slices=MIN_SLICES)
        if reason is not None:
            return replace(self._nothing_found(series), not_evaluable=reason)
        return self.find_in_images(series, images)
