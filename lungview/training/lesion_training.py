"""Train and evaluate the lesion segmentation model on the annotated real CT patients, leave one patient out.

1. Every annotated patient (:mod:`lungview.training.lesion_masks`) gives every slice as a sample, and synthetic
   lesions pasted into its tumour-free lung (:mod:`lungview.training.synthetic_lesions`) give more.
2. The frozen encoder's features of every sample are computed once (cached on disk with ``cache_dir``).
3. For each design compared (real slices only; with simulated nodules; with pasted real tumours too), each
   patient's probability maps come from a decoder trained without that patient (nor a synthetic sample carrying
   its tumour). Findings on them are scored with identity calibration, then the logistic calibration and the
   threshold (at most one false finding per scan) are fitted on the pooled out-of-fold candidates.
4. The shipped decoder is trained on every sample of the best design; it ships with that design's calibration,
   threshold and out-of-fold figures.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lungview.detection.components import Calibration, lesions_from_map, network_lung, slice_scores
from lungview.models.lesion_input import INPUT_SIZE, resize_hu
from lungview.training.lesion_dataset import Samples, real_samples, synthetic_samples
from lungview.training.lesion_decoder_fit import Features, FitConfig, decoder_probabilities, fit_decoder
from lungview.training.lesion_evaluation import (
    ScoredCandidate,
    evaluate_patient,
    froc,
    on_tumour,
    threshold_for_false_findings,
)
from lungview.training.lesion_masks import AnnotatedSeries, find_annotated_folders, load_annotated_series

log = logging.getLogger(__name__)

#: The designs compared on the same patients: which synthetic sample kinds join the real slices.
DESIGNS: dict[str, tuple[str, ...]] = {
    "real slices only": (),
    "+ simulated nodules": ("solid", "part-solid", "ground-glass"),
    "+ simulated nodules + pasted real tumours": ("solid", "part-solid", "ground-glass", "real-tumour"),
}


#: Changes whenever the way samples are made changes (so that cached features are made afresh).
SAMPLES_VERSION = 2


@dataclass(frozen=True)
class LesionTrainingConfig:
    data_root: Path
    size: int = INPUT_SIZE
    simulated_per_patient: int = 12
    pasted_per_patient: int = 8
    seed: int = 20261207
    fit: FitConfig = field(default_factory=FitConfig)
    cache_dir: Path | None = None
    fit_pixel_threshold: float = 0.5
    """Pixels at or above this tumour probability make up a candidate."""


@dataclass
class DesignResult:
    """A design's out-of-fold evaluation."""

    name: str
    calibration: Calibration
    threshold: float
    per_patient: list[dict]
    froc: list[dict]


def build_samples(series: Sequence[AnnotatedSeries], config: LesionTrainingConfig) -> Samples:
    """Real slices of every patient, then its synthetic lesions (donors: the other patients), seeded."""
    rng = np.random.default_rng(config.seed)
    parts = []
    for one in series:
        parts.append(real_samples(one, config.size))
        # a box-only annotation's mask is cut from HU inside a rectangle: no outline to paste elsewhere
        donors = [other for other in series if other.name != one.name and other.source != "box-hu"]
        rng.shuffle(donors)
        synthetic = synthetic_samples(
            one, donors, rng, config.simulated_per_patient, config.pasted_per_patient, config.size
        )
        if synthetic is not None:
            parts.append(synthetic)
        log.info("%s: %d real, %d synthetic samples", one.name, len(parts[-2]) if synthetic else len(parts[-1]),
                 len(synthetic) if synthetic else 0)
    return Samples.join(parts)


def cache_key(series: Sequence[AnnotatedSeries], config: LesionTrainingConfig) -> str:
    """What the cached features depend on: the patients, their sizes and the sample settings."""
    text = json.dumps(
        [SAMPLES_VERSION]
        + [[s.name, list(s.hu.shape), int(s.mask.sum())] for s in series]
        + [config.size, config.simulated_per_patient, config.pasted_per_patient, config.seed]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sample_features(
    series: Sequence[AnnotatedSeries], config: LesionTrainingConfig, encoder
) -> tuple[Features, dict[str, np.ndarray]]:
    """The encoder features and per-sample metadata (patient, slice_index, donor, kind), from the cache when
    ``config.cache_dir`` holds them for the same data and settings."""
    from lungview.training.lesion_features import encode, export_encoder

    folder = config.cache_dir / cache_key(series, config) if config.cache_dir else None
    names = ("f4", "f8", "f16", "f32")
    if folder is not None and (folder / "meta.npz").is_file():
        meta = dict(np.load(folder / "meta.npz"))
        maps = tuple(np.load(folder / f"{name}.npy", mmap_mode="r") for name in names)
        return Features(maps, meta.pop("targets")), meta
    samples = build_samples(series, config)
    work = folder or Path(__import__("tempfile").mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    maps = tuple(encode(export_encoder(encoder, work / "encoder.onnx", config.size), samples.inputs))
    meta = {"patient": samples.patient, "slice_index": samples.slice_index, "donor": samples.donor,
            "kind": samples.kind}
    if folder is not None:
        for name, values in zip(names, maps):
            np.save(folder / f"{name}.npy", values)
        np.savez(folder / "meta.npz", targets=samples.targets, **meta)
    return Features(maps, samples.targets), meta


def training_rows(meta: dict[str, np.ndarray], kinds: tuple[str, ...], held_out: str | None) -> np.ndarray:
    """Samples a fold trains on: real slices and synthetic ones of ``kinds``, none of ``held_out``'s voxels."""
    use = (meta["kind"] == "real") | np.isin(meta["kind"], list(kinds))
    if held_out is not None:
        use &= (meta["patient"] != held_out) & (meta["donor"] != held_out)
    return np.flatnonzero(use)


def real_rows(meta: dict[str, np.ndarray], patient: str) -> np.ndarray:
    """A patient's real slices in series order."""
    rows = np.flatnonzero((meta["patient"] == patient) & (meta["kind"] == "real"))
    return rows[np.argsort(meta["slice_index"][rows])]


def findings_of(series: AnnotatedSeries, probabilities: np.ndarray, calibration: Calibration):
    """Candidates and slice scores of a patient from its probability maps (every slice analysed)."""
    resized = np.stack([resize_hu(plane, probabilities.shape[-1]) for plane in series.hu])
    indices = list(range(len(series.hu)))
    images = dict(enumerate(series.hu))
    size = probabilities.shape[-1]
    lung = network_lung(resized, series.series, size / max(series.series.rows, series.series.columns))
    probabilities = np.where(lung.any(axis=(1, 2))[:, None, None], probabilities, 0.0)  # as the finder skips them
    candidates = lesions_from_map(probabilities, lung, indices, images, series.series, calibration)
    scores = slice_scores(candidates, probabilities, lung, indices, len(indices), calibration)
    return candidates, scores


def fit_calibration(candidates: Sequence[ScoredCandidate], pixel_threshold: float) -> Calibration:
    """Logistic calibration of ``on_tumour`` on the logit of each candidate's highest pixel probability."""
    from sklearn.linear_model import LogisticRegression

    p = np.clip([c.score for c in candidates], 1e-6, 1 - 1e-6)
    labels = np.array([c.on_tumour for c in candidates])
    if len(set(labels.tolist())) < 2:
        return Calibration(pixel_threshold=pixel_threshold)
    model = LogisticRegression(C=10.0).fit(np.log(p / (1 - p))[:, None], labels)
    return Calibration(float(model.coef_[0, 0]), float(model.intercept_[0]), pixel_threshold)


def evaluate_design(
    name: str, series: Sequence[AnnotatedSeries], probabilities: dict[str, np.ndarray], pixel_threshold: float
) -> DesignResult:
    """Calibration, threshold and per-patient figures of one design's out-of-fold probability maps."""
    raw = Calibration(pixel_threshold=pixel_threshold)
    pooled = []
    for one in series:
        candidates, _ = findings_of(one, probabilities[one.name], raw)
        pooled += [ScoredCandidate(one.name, c.score, on_tumour(c, one.mask)) for c in candidates]
    calibration = fit_calibration(pooled, pixel_threshold)
    scored = [ScoredCandidate(c.patient, float(calibration(c.score)), c.on_tumour) for c in pooled]
    threshold = threshold_for_false_findings(scored, len(series), calibration.floor)
    per_patient = []
    for one in series:
        candidates, scores = findings_of(one, probabilities[one.name], calibration)
        per_patient.append(evaluate_patient(one.name, one.mask, one.pixel_mm, candidates, scores, threshold))
    return DesignResult(name, calibration, threshold, per_patient, froc(scored, [s.name for s in series]))


def out_of_fold(
    series: Sequence[AnnotatedSeries], features: Features, meta: dict[str, np.ndarray], kinds: tuple[str, ...],
    config: LesionTrainingConfig, progress: Callable[[Iterable], Iterable] = iter,
) -> dict[str, np.ndarray]:
    """Each patient's probability maps from a decoder trained without it."""
    maps = {}
    for one in progress(series):
        decoder = fit_decoder(features, training_rows(meta, kinds, one.name), config.fit)
        maps[one.name] = decoder_probabilities(decoder, features, real_rows(meta, one.name), config.size)
    return maps


def load_patients(data_root: Path) -> list[AnnotatedSeries]:
    """Every annotated patient under ``data_root``."""
    folders = find_annotated_folders(Path(data_root))
    if not folders:
        raise ValueError(f"no folder with a TRUTH.csv under {data_root}")
    return [load_annotated_series(folder) for folder in folders]


def design_rank(result: DesignResult) -> tuple:
    """How designs are compared (declared before any was run): tumours found, then top finding on the tumour,
    then fewer false findings, then median Dice."""
    rows = result.per_patient
    return (
        sum(r["tumour_found"] for r in rows),
        sum(r["top_finding_on_tumour"] for r in rows),
        -sum(r["false_findings"] for r in rows),
        float(np.median([r["dice"] for r in rows])),
    )


def gallery_items(series: Sequence[AnnotatedSeries], probabilities: dict[str, np.ndarray], result: DesignResult):
    """Per patient, the slice where its tumour is largest with the truth and the out-of-fold findings there."""
    items = []
    for one, row in zip(series, result.per_patient):
        candidates, _ = findings_of(one, probabilities[one.name], result.calibration)
        index = int(np.argmax(one.mask.sum(axis=(1, 2))))
        found = np.zeros(one.mask.shape[1:], bool)
        for lesion in candidates:
            for piece in lesion.slices:
                if lesion.score >= result.threshold and piece.index == index:
                    found |= piece.full_mask(found.shape)
        title = f"{one.name[:22]} top:{'tumour' if row['top_finding_on_tumour'] else 'miss'}"
        items.append({"hu": one.hu[index], "truth": one.mask[index], "found": found, "title": title})
    return items
