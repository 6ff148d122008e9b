"""Train ``ct-tumour-slice``: a tumour head on frozen EfficientNet-Lite0 cell features, scored at lesion candidates.

Design (measured leave-one-patient-out on the shared annotated series; see the model's report):

- Candidates (:mod:`lungview.detection.candidates`): soft-tissue blobs inside the lung fields of each slice,
  linked across slices; only chains spanning several slices can become findings.
- Network (``efficientnet-lite0-cells-ms``): the whole HU slice windowed three ways, 256 px; every
  16-px cell holds the stride-16 and the upsampled stride-32 features (1392 values). The backbone is frozen
  (ImageNet). No lung gate: the candidates already lie in the lung fields, and a gate would zero the features of
  masses on the mediastinum or chest wall.
- Head: one class-balanced logistic regression on the cell features sampled at blob centres (positives: blobs
  whose centre lies in the tumour box; negatives: blobs of tumour-free slices and blobs away from the box). Being
  linear, it is also a per-cell head: the network's cell map and Grad-CAM come from the same weights.
- Series-relative scores: a blob's logit is taken relative to the 90th percentile of its series' candidate logits,
  so that a scanner that lifts every score does not lift the findings with it (measured leave-one-patient-out).
- Calibration and threshold: temperature and the threshold are fitted on out-of-fold blob and slice scores; the
  threshold gives the stated slice specificity, and a slice is flagged exactly when a finding spans it.
- Evaluation: leave one patient out; per patient the slice AUC, sensitivity and specificity at the threshold,
  the share of tumour slices whose reported location (the centre of the finding's box, else the map's peak)
  lies in the tumour box, the box IoU and whether the top finding is the tumour.

Run ``lungview train real-ct-tumour ../shared/data/dicom``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lungview import INTENDED_USE, __version__
from lungview.detection.candidates import Blob
from lungview.detection.finder import BlobChains, find_blob_chains, network_grid, sample_cells
from lungview.detection.lesions import Lesion
from lungview.detection.scoring import (
    MIN_SLICES,
    SERIES_REFERENCE_PERCENTILE,
    ScoredBlob,
    lesions_from_chains,
    original_box,
    original_centre,
    slice_scores,
)
from lungview.models.backbones import build_classifier
from lungview.models.card import ModelCard
from lungview.models.preprocess import PreprocessParams, prepare_input
from lungview.models.registry import save_model
from lungview.training.calibration import fit_temperature
from lungview.training.finder_report import gallery_item, write_finder_report
from lungview.training.real_ct_data import TruthSeries, attribution, find_truth_folders, read_truth_series
from lungview.windowing import PRESETS, Window

log = logging.getLogger(__name__)

MODEL_ID = "ct-tumour-slice"
CLASSES = ("no tumour", "tumour")
#: Lung, mediastinal and a wide window: air, soft tissue and the transition between them stay distinguishable.
HU_CHANNELS = (PRESETS["lung"], PRESETS["mediastinum"], Window(-300, 2000))

LIMITS = (
    "Trained on four real chest-CT series (one Lung-PET-CT-Dx adenocarcinoma, three LIDC-IDRI patients), so it has "
    "seen a handful of tumours; expect misses on tumour types, sizes and scanners it has not seen.",
    "Candidates are soft-tissue blobs (above -550 HU) in the lung fields: faint ground-glass nodules often form no "
    "candidate and are missed (the LIDC-IDRI-0002 row of the table).",
    "Needs Hounsfield units (DICOM CT series). It is not used for PNG/JPG pictures.",
    "Design choices were compared by leave-one-patient-out on the same four series the figures are reported on, so "
    "those figures are optimistic.",
    "Not a diagnosis: a finding says where to look first, not whether a lesion is cancer; Lung-RADS and any "
    "clinical category stay with the reader.",
    "The heatmap is the network's cell map (model attention); the finding's box is the candidate blob the network "
    "scored, not a segmentation of the tumour.",
)


@dataclass(frozen=True)
class FinderConfig:
    """Everything that decides the trained model."""

    data_root: Path
    output_dir: Path
    model_id: str = MODEL_ID
    #: The model's own version; bump it when a retrained model replaces the shipped one.
    version: str = "0.3.0"
    architecture: str = "efficientnet-lite0-cells-ms"
    size: int = 256
    regularisation: float = 0.01
    #: Train on the blobs seen on one slice only as well (more negatives); only chains of several slices are scored.
    single_slice_negatives: bool = True
    #: Operating point: at least this share of the out-of-fold tumour-free slices stays below the threshold.
    slice_specificity: float = 0.9
    seed: int = 0
    cache_dir: Path | None = None

    def params(self) -> PreprocessParams:
        """Three HU windows of the whole slice resized to ``size`` in HU first."""
        return PreprocessParams(
            size=self.size, channels=HU_CHANNELS, crop="none", normalisation="minus_one_to_one", resample="hu"
        )


@dataclass(frozen=True)
class SeriesSamples:
    """One annotated series: its candidate chains, the network features at every blob centre and their labels.

    ``labels`` per blob: 1 centre in the tumour box, 0 on a tumour-free slice or away from the box, -1 neither.
    """

    truth: TruthSeries
    found: BlobChains
    blobs: list[Blob]
    centres: np.ndarray
    boxes: list[tuple[int, int, int, int]]
    features: np.ndarray
    labels: np.ndarray


def _in_box(row: float, column: float, box) -> bool:
    """Whether (row, column) lies in a TRUTH box ``(xmin, ymin, xmax, ymax)``."""
    return box is not None and box[0] <= column <= box[2] and box[1] <= row <= box[3]


def _blob_label(centre, box_rc, truth_box) -> int:
    if truth_box is None:
        return 0
    if _in_box(*centre, truth_box):
        return 1
    touches = not (
        box_rc[3] < truth_box[0] or box_rc[1] > truth_box[2] or box_rc[2] < truth_box[1] or box_rc[0] > truth_box[3]
    )
    return -1 if touches else 0


def _cache_path(config: FinderConfig, name: str) -> Path | None:
    if config.cache_dir is None:
        return None
    from lungview.detection import candidates

    rules = {name: getattr(candidates, name) for name in dir(candidates) if name.isupper()}
    key = json.dumps(
        [config.architecture, config.params().to_dict(), __version__, rules, config.single_slice_negatives],
        sort_keys=True,
    )
    return Path(config.cache_dir) / f"{name}-finder-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npz"


def series_samples(
    truth: TruthSeries, features: torch.nn.Module, config: FinderConfig, progress: Callable[[Iterable], Iterable] = iter
) -> SeriesSamples:
    """Candidate chains of one annotated series and the frozen cell features at their blobs' centres."""
    pixel_mm = truth.spacings[0][0] if truth.spacings[0] else None
    min_slices = 1 if config.single_slice_negatives else MIN_SLICES
    found = find_blob_chains(list(truth.images), pixel_mm, truth.slice_mm, min_slices)
    blobs = [blob for chain in found.chains for blob in chain]
    shape = truth.images[0].shape
    centres = np.array([original_centre(blob, found.factor) for blob in blobs], np.float32).reshape(-1, 2)
    boxes = [original_box(blob, found.factor, shape) for blob in blobs]
    cached = _cache_path(config, truth.name)
    if cached is not None and cached.is_file():
        with np.load(cached) as stored:
            sampled = stored["features"]
    else:
        params = config.params()
        by_slice: dict[int, list[int]] = {}
        for number, blob in enumerate(blobs):
            by_slice.setdefault(blob.index, []).append(number)
        sampled = np.zeros((len(blobs), 0), np.float16)
        for index in progress(sorted(by_slice)):
            network_input, crop = prepare_input(truth.images[index], True, params)
            with torch.inference_mode():
                cell_map = features(torch.from_numpy(network_input[None])).numpy()[0]
            if sampled.shape[1] == 0:
                sampled = np.zeros((len(blobs), cell_map.shape[0]), np.float16)
            grid = network_grid(shape, params, crop, cell_map.shape[-1])
            numbers = by_slice[index]
            sampled[numbers] = sample_cells(cell_map, grid, [tuple(centres[n]) for n in numbers]).astype(np.float16)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cached, features=sampled)
    labels = np.array(
        [_blob_label(tuple(c), b, truth.boxes[blob.index]) for c, b, blob in zip(centres, boxes, blobs)], np.int8
    )
    return SeriesSamples(truth, found, blobs, centres, boxes, sampled, labels)


@dataclass(frozen=True)
class BlobHead:
    """A linear tumour logit ``features @ weight + bias`` in the raw feature space."""

    weight: np.ndarray
    bias: float

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features.astype(np.float32) @ self.weight + self.bias


def fit_blob_head(training: Sequence[SeriesSamples], config: FinderConfig) -> BlobHead:
    """Class-balanced, L2-regularised logistic regression on the labelled blobs of ``training``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([s.features[s.labels >= 0] for s in training]).astype(np.float32)
    y = np.concatenate([s.labels[s.labels >= 0] for s in training])
    if y.min() == y.max():
        raise ValueError("training needs blobs in tumour boxes and blobs elsewhere")
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(
        C=config.regularisation, class_weight="balanced", max_iter=2000, random_state=config.seed
    )
    model.fit(scaler.transform(x), y)
    weight = (model.coef_[0] / scaler.scale_).astype(np.float32)
    return BlobHead(weight, float(model.intercept_[0] - weight @ scaler.mean_))


def series_lesions(samples: SeriesSamples, logits: np.ndarray, temperature: float) -> list[Lesion]:
    """Ranked lesions of one series from its blobs' logits (the same path as the app's finder)."""
    from lungview.detection.scoring import probability

    scored = {
        id(blob): ScoredBlob(blob, tuple(c), b, float(probability(logit, temperature)))
        for blob, c, b, logit in zip(samples.blobs, samples.centres, samples.boxes, logits)
    }
    chains = [[scored[id(blob)] for blob in chain] for chain in samples.found.chains]
    identity = [(None, "")] * len(samples.truth.images)
    return lesions_from_chains(chains, identity)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def wilson(successes: int, total: int, z: float = 1.96) -> list[float]:
    """The Wilson score 95 % interval of a proportion (``[nan, nan]`` for no trials)."""
    if total == 0:
        return [float("nan"), float("nan")]
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return [round(float(centre - half), 3), round(float(centre + half), 3)]


def _iou(a, truth_box) -> float:
    """IoU of a (row0, col0, row1, col1) box and a TRUTH (xmin, ymin, xmax, ymax) box, inclusive pixels."""
    b = (truth_box[1], truth_box[0], truth_box[3], truth_box[2])
    rows = min(a[2], b[2]) - max(a[0], b[0]) + 1
    cols = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(0, rows) * max(0, cols)
    area = lambda r: (r[2] - r[0] + 1) * (r[3] - r[1] + 1)  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _centre_in(box, truth_box) -> bool:
    """Whether the centre of a (row0, col0, row1, col1) box lies in a TRUTH box (None: no tumour on that slice)."""
    return _in_box((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, truth_box)


def _on_tumour(lesion: Lesion, truth: TruthSeries) -> bool:
    """Whether the centre of the lesion's box lies in the tumour box on one of its slices."""
    return any(_centre_in(s.box, truth.boxes[s.index]) for s in lesion.slices)


def evaluate_series(samples: SeriesSamples, lesions: Sequence[Lesion], threshold: float) -> dict:
    """The leave-one-patient-out row of one held-out series at ``threshold``."""
    truth = samples.truth
    has_tumour = np.array(truth.has_tumour, bool)
    scores = np.array(slice_scores(lesions, len(truth.images)))
    flagged = scores >= threshold
    findings = [lesion for lesion in lesions if lesion.score >= threshold]
    located, ious = [], []
    for index in np.flatnonzero(has_tumour):
        lesion = next((f for f in findings if f.box_on(int(index)) is not None), None)
        if lesion is None:
            located.append(False)
            ious.append(0.0)
            continue
        box = lesion.box_on(int(index))
        located.append(_centre_in(box, truth.boxes[index]))
        ious.append(_iou(box, truth.boxes[index]))
    on_tumour = [_on_tumour(lesion, truth) for lesion in lesions]
    top_on_tumour = bool(on_tumour) and on_tumour[0]
    found = [hit for lesion, hit in zip(lesions, on_tumour) if lesion.score >= threshold]
    positives, negatives = int(has_tumour.sum()), int((~has_tumour).sum())
    true_pos, true_neg = int((flagged & has_tumour).sum()), int((~flagged & ~has_tumour).sum())
    return {
        "series": truth.name,
        "slices": len(has_tumour),
        "tumour_slices": positives,
        "tumour_slice_auc": _auc(has_tumour, scores),
        "sensitivity": true_pos / positives if positives else float("nan"),
        "sensitivity_ci95": wilson(true_pos, positives),
        "specificity": true_neg / negatives if negatives else float("nan"),
        "specificity_ci95": wilson(true_neg, negatives),
        "location_in_box": float(np.mean(located)) if located else float("nan"),
        "box_iou": float(np.mean(ious)) if ious else float("nan"),
        "top_finding_on_tumour": top_on_tumour,
        "findings_at_threshold": len(findings),
        "tumour_found": any(found),
        "false_findings": found.count(False),
        **attribution(truth.name),
    }


@dataclass(frozen=True)
class FinderResult:
    """The shipped card, the per-patient leave-one-patient-out table and the held-out top findings to show."""

    card: ModelCard
    per_patient: list[dict]
    gallery: list[dict]


def leave_one_patient_out(
    samples: Sequence[SeriesSamples], config: FinderConfig
) -> tuple[list[np.ndarray], float, float]:
    """Out-of-fold blob logits per series, and the temperature and threshold fitted on them."""
    logits = []
    for held_out in range(len(samples)):
        head = fit_blob_head([s for i, s in enumerate(samples) if i != held_out], config)
        logits.append(relative_to_candidates(samples[held_out], head.logits(samples[held_out].features)))
    labelled = np.concatenate([logit[s.labels >= 0] for logit, s in zip(logits, samples)])
    labels = np.concatenate([s.labels[s.labels >= 0] for s in samples]).astype(int)
    temperature = fit_temperature(np.stack([np.zeros_like(labelled), labelled], 1), labels)
    slice_level, tumour = [], []
    for logit, s in zip(logits, samples):
        slice_level.append(slice_scores(series_lesions(s, logit, temperature), len(s.truth.images)))
        tumour.append(s.truth.has_tumour)
    is_tumour = np.concatenate(tumour).astype(bool)
    free = np.concatenate(slice_level)[~is_tumour]
    threshold = float(np.quantile(free, config.slice_specificity, method="higher"))
    return logits, temperature, threshold


def in_chains(samples: SeriesSamples) -> np.ndarray:
    """Which blobs belong to a chain of at least :data:`MIN_SLICES` slices (the candidates the app scores)."""
    scored = {id(blob) for chain in samples.found.chains if len(chain) >= MIN_SLICES for blob in chain}
    return np.array([id(blob) in scored for blob in samples.blobs], bool)


def relative_to_candidates(samples: SeriesSamples, logits: np.ndarray) -> np.ndarray:
    """``logits`` relative to the series' candidates, as the app computes them (:func:`series_relative`)."""
    mask = in_chains(samples)
    return logits - np.percentile(logits[mask], SERIES_REFERENCE_PERCENTILE) if mask.any() else logits


def network_with_head(network: torch.nn.Module, head: BlobHead) -> torch.nn.Module:
    """Put ``head`` into the tumour column of the network's linear head (the no-tumour logit stays 0)."""
    with torch.no_grad():
        network.head.weight.zero_()
        network.head.bias.zero_()
        network.head.weight[1] = torch.from_numpy(head.weight)
        network.head.bias[1] = head.bias
    return network.eval()


def pooled_row(rows: Sequence[dict]) -> dict:
    """Sensitivity and specificity over all held-out slices, with Wilson intervals, and the median AUC."""
    tp = sum(round(r["sensitivity"] * r["tumour_slices"]) for r in rows)
    pos = sum(r["tumour_slices"] for r in rows)
    tn = sum(round(r["specificity"] * (r["slices"] - r["tumour_slices"])) for r in rows)
    neg = sum(r["slices"] - r["tumour_slices"] for r in rows)
    return {
        "median_tumour_slice_auc": float(np.nanmedian([r["tumour_slice_auc"] for r in rows])),
        "sensitivity": tp / pos,
        "sensitivity_ci95": wilson(tp, pos),
        "specificity": tn / neg,
        "specificity_ci95": wilson(tn, neg),
        "median_specificity": float(np.median([r["specificity"] for r in rows])),
        "median_sensitivity": float(np.median([r["sensitivity"] for r in rows])),
        "top_finding_on_tumour": f"{sum(r['top_finding_on_tumour'] for r in rows)} of {len(rows)}",
        "tumour_found": f"{sum(r['tumour_found'] for r in rows)} of {len(rows)}",
        "false_findings_per_series": float(np.mean([r["false_findings"] for r in rows])),
        "location_in_box": float(np.mean([r["location_in_box"] for r in rows])),
    }


def train_tumour_finder(config: FinderConfig, progress: Callable[[Iterable], Iterable] = iter) -> FinderResult:
    """Read the series, sample features at candidates, run leave-one-patient-out, fit on all series, ship."""
    torch.manual_seed(config.seed)
    started = time.monotonic()
    folders = find_truth_folders(config.data_root)
    if len(folders) < 2:
        raise ValueError(f"leave-one-patient-out needs at least two folders with TRUTH.csv under {config.data_root}")
    network, pretrained_source = build_classifier(config.architecture, len(CLASSES), config.size, pretrained=True)
    network.eval()
    samples = []
    for folder in folders:
        samples.append(series_samples(read_truth_series(folder), network.features, config, progress))
    features_s = time.monotonic() - started
    logits, temperature, threshold = leave_one_patient_out(samples, config)
    held_out = [series_lesions(s, logit, temperature) for s, logit in zip(samples, logits)]
    per_patient = [evaluate_series(s, lesions, threshold) for s, lesions in zip(samples, held_out)]
    gallery = [item for s, lesions in zip(samples, held_out) if (item := gallery_item(s, lesions)) is not None]
    for row in per_patient:
        log.info(
            "held out %s: AUC %.3f sens %.2f spec %.2f located %.2f top %s",
            row["series"],
            row["tumour_slice_auc"],
            row["sensitivity"],
            row["specificity"],
            row["location_in_box"],
            row["top_finding_on_tumour"],
        )
    head = fit_blob_head(samples, config)
    network = network_with_head(network, head)
    card = ModelCard(
        id=config.model_id,
        version=config.version,
        architecture=config.architecture,
        classes=CLASSES,
        cancer_classes=("tumour",),
        cancer_rule="P(tumour) of the best lesion candidate spanning the slice (a soft-tissue blob in the lung field "
        "seen on at least two neighbouring slices, scored by the network's cell map at its centre relative to the 90th "
        "percentile of the series' candidates)",
        threshold=threshold,
        temperature=temperature,
        preprocessing=config.params(),
        sha256="",
        pretrained_source=pretrained_source,
        hu_input=f"HU slice area-resized to {config.size} px, then windowed three times (lung W1500/L-600, "
        "mediastinal W350/L40, wide W2000/L-300) into the three input channels.",
        data={
            "series": [
                {
                    "series": s.truth.name,
                    "slices": len(s.truth.images),
                    "tumour_slices": s.truth.tumour_count,
                    **attribution(s.truth.name),
                }
                for s in samples
            ],
            "tumour_rule": "TRUTH.csv has_tumour (Lung-PET-CT-Dx boxes; LIDC-IDRI: any reader's contour of a "
            "nodule >= 3 mm)",
            "not_used": "Kaggle chest-ct-4class and IQ-OTH/NCCD: pre-windowed PNGs without HU or boxes",
        },
        training={
            "head": "logistic regression on the cell features at blob centres "
            f"(class-balanced, L2 C={config.regularisation:g})",
            "positives": "blobs whose centre lies in the tumour box",
            "negatives": "blobs on tumour-free slices and blobs not touching the tumour box",
            "blobs": {
                s.truth.name: {"positive": int((s.labels == 1).sum()), "negative": int((s.labels == 0).sum())}
                for s in samples
            },
            "backbone": "frozen",
            "temperature_and_threshold": "temperature fitted on out-of-fold blob logits; the threshold leaves "
            f">= {config.slice_specificity:.0%} of the out-of-fold tumour-free slices below it",
            "timings_s": {"features": round(features_s, 1), "total": round(time.monotonic() - started, 1)},
        },
        metrics={
            "operating_point": f"slice specificity >= {config.slice_specificity:.0%} on the pooled out-of-fold "
            "tumour-free slices",
            "leave_one_patient_out": per_patient,
            "pooled": pooled_row(per_patient),
        },
        intended_use=INTENDED_USE,
        limits=LIMITS,
        lesion_finder=True,
        notes=(
            "A slice is flagged exactly when a finding at or above the threshold spans it; the finding's score is its "
            "blobs' median probability.",
            "Grad-CAM of this model is ReLU of the per-cell tumour score map (the head is linear on the cell "
            "features).",
        ),
    )
    card = save_model(config.output_dir / config.model_id, network, card)
    return FinderResult(card, per_patient, gallery)


def run_training(data_root: Path, weights_dir: Path, model_id: str = MODEL_ID, cache_dir: Path | None = None) -> int:
    """Train with a progress bar and write the report; a plain message and exit code 2 on bad input."""
    from tqdm import tqdm

    logging.getLogger("lungview").setLevel(logging.INFO)  # the command line keeps only warnings by default
    config = FinderConfig(data_root=data_root, output_dir=weights_dir, model_id=model_id, cache_dir=cache_dir)
    try:
        result = train_tumour_finder(config, progress=lambda items: tqdm(items, leave=False, mininterval=5))
    except ValueError as error:
        print(f"tumour-finder training: {error}")
        return 2
    folder = weights_dir / config.model_id
    write_finder_report(folder, result.card, result.per_patient, result.gallery)
    print(f"saved {folder} (sha256 {result.card.sha256[:12]}…); report in {folder / 'report'}")
    return 0
