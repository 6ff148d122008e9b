"""``train_model``: audit -> leak-free split -> cached features -> two stages x seeds -> calibration -> shipped model.

The evaluation that follows reads the *shipped* fp16 model back through :func:`lungview.models.load_model`, so
every reported number comes from the file the app loads.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from lungview import INTENDED_USE
from lungview.models.architecture import Architecture
from lungview.models.backbones import backbone_spec, build_classifier, build_ensemble_members
from lungview.models.card import ModelCard
from lungview.models.ensemble import combine, member_top_start
from lungview.models.network import Classifier
from lungview.models.preprocess import PreprocessParams
from lungview.models.registry import load_model, save_model
from lungview.training.audit import AuditResult, ImageRecord, audit_dataset
from lungview.training.calibration import (
    calibration_measures,
    fit_temperature,
    out_of_fold_logits,
    softmax,
    threshold_for_sensitivity,
)
from lungview.training.dataset import cache_trunk, cached, load_squares, network_batch, trunk_cache_key
from lungview.training.fit import StageSettings, average_states, fit_head, fit_top, pooled_features, top_logits
from lungview.training.metrics import classification_scores
from lungview.training.splits import DataSplit, block_split, group_indices, number_block, official_split
from lungview.windowing import PRESETS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetSpec:
    """A data set's classes, how cancer probability is formed, and how it is split."""

    layout: str
    classes: tuple[str, ...]
    cancer_classes: tuple[str, ...]
    cancer_rule: str
    split: Callable[[AuditResult], DataSplit]
    description: str
    scan_key: Callable[[ImageRecord], tuple]


def _scan_number(record: ImageRecord) -> tuple:
    """chest-ct-4class: files ``NNNNNN (k).png`` with the same number (within a class) are slices of one scan."""
    return ("scan", record.label, record.number)


DATASETS: dict[str, DatasetSpec] = {
    "chest-ct-4class": DatasetSpec(
        "chest-ct-4class",
        ("adenocarcinoma", "large.cell.carcinoma", "squamous.cell.carcinoma", "normal"),
        ("adenocarcinoma", "large.cell.carcinoma", "squamous.cell.carcinoma"),
        "1 - P(normal)",
        official_split,
        "Kaggle Chest CT-Scan images (Mohamed Hany), 1000 pre-windowed 2-D PNG/JPG slices, official 613/72/315 split",
        _scan_number,
    ),
    "iqothnccd": DatasetSpec(
        "iqothnccd",
        ("benign", "malignant", "normal"),
        ("malignant",),
        "P(malignant)",
        block_split,
        "IQ-OTH/NCCD (Alyasriy & AL-Huseiny, Mendeley Data bhmdr45bh2, CC BY 4.0), "
        "staged subset of 609 of 1097 JPEG slices",
        number_block,
    ),
}

LIMITS = (
    "Trained on pre-windowed 2-D PNG/JPG slices, not on HU DICOM; a HU slice is first mapped through the lung window "
    "(W1500/L-600) stored in this card, which only approximates how the training images were windowed.",
    "One slice at a time: no 3-D context, no nodule detection, no size measurement, no Lung-RADS category.",
    "Scanners, protocols and patient populations of the source images are undocumented (chest-ct-4class) or one "
    "Iraqi hospital's Siemens scanner (iqothnccd); performance elsewhere is unknown.",
    "Small training sets (a few hundred distinct images, few normal images); the normal class differs from the "
    "cancer classes in source and display window, which the body crop and grey conversion reduce but cannot remove.",
    "The Grad-CAM heatmap shows model attention, not lesion location.",
)


@dataclass(frozen=True)
class TrainConfig:
    """What to train and where to write it."""

    dataset: str
    data_root: Path
    model_id: str
    output_dir: Path
    architecture: str = "efficientnet-lite0"
    sizes: tuple[int, ...] = (224,)
    seeds: tuple[int, ...] = (0, 1, 2)
    views: int = 4
    stage1: StageSettings = field(default_factory=lambda: StageSettings(epochs=300, learning_rate=1e-3, patience=40))
    stage2: StageSettings | None = field(
        default_factory=lambda: StageSettings(epochs=12, learning_rate=1e-4, patience=4)
    )
    pretrained: bool = True
    version: str = "1.0"
    max_images: int | None = None
    top_start: int | None = None
    cache_dir: Path | None = None
    seed_merge: str = "best"
    calibration_folds: int = 0


@dataclass
class TrainResult:
    """The saved card, the split, the audit and everything the report needs from training."""

    card: ModelCard
    split: DataSplit
    audit: AuditResult
    histories: dict[str, dict]
    valid_logits: np.ndarray
    valid_labels: np.ndarray
    timings: dict[str, float]


def _labels(records, classes) -> np.ndarray:
    return np.array([classes.index(r.label) for r in records], dtype=np.int64)


def _limited(split: DataSplit, limit: int | None) -> DataSplit:
    """A smaller split for smoke runs and tests (every role cut to ``limit`` images)."""
    if limit is None:
        return split
    return dataclasses.replace(
        split,
        train=split.train[:limit],
        valid=split.valid[:limit],
        test=split.test[:limit],
        test_dedup=split.test_dedup[:limit],
    )


def _normalisation_notes(config: TrainConfig) -> tuple[str, ...]:
    """What the photograph check found about the pretrained backbone's input range (stored in the card's notes)."""
    if config.architecture != "efficientnet-lite0" or not config.pretrained:
        return ()
    try:
        from lungview.training.normalisation_check import check_input_normalisation
    except ImportError:
        return ("input normalisation check not run: scikit-image is not installed",)
    findings = check_input_normalisation(size=max(config.sizes))
    return (
        "input normalisation check (ImageNet top-1 of scikit-image photographs, per normalisation): "
        f"{json.dumps(findings)}; "
        "inputs are scaled to [-1, 1] as TF-Lite EfficientNet-Lite expects",
    )


#: Largest validation probability change allowed for storing weights in fp16 instead of fp32.
FP16_TOLERANCE = 0.01


def full_logits(network: Classifier, batch: torch.Tensor, batch_size: int = 32) -> np.ndarray:
    """Whole-network fp32 logits (eval mode) of a normalised batch."""
    network.eval()
    with torch.inference_mode():
        return torch.cat([network(batch[i : i + batch_size]) for i in range(0, len(batch), batch_size)]).numpy()


def _save_small(
    folder: Path, network: Classifier, card: ModelCard, valid_squares: np.ndarray, valid_logits: np.ndarray
) -> ModelCard:
    """Save fp16 weights when they move no validation probability by more than :data:`FP16_TOLERANCE`, else fp32."""
    saved = save_model(folder, network, card, half=True)
    shipped = load_model(card.id, folder.parent)
    batch = network_batch(valid_squares, card.preprocessing)
    change = float(
        np.abs(
            softmax(full_logits(shipped.network, batch), card.temperature) - softmax(valid_logits, card.temperature)
        ).max(initial=0.0)
    )
    half = change <= FP16_TOLERANCE
    note = (
        f"fp16 weights change validation probabilities by at most {change:.2g}; "
        f"stored as {'fp16' if half else 'fp32'} (tolerance {FP16_TOLERANCE})"
    )
    return save_model(folder, network, dataclasses.replace(saved, sha256="", notes=(*card.notes, note)), half=half)


@dataclass(frozen=True)
class StageData:
    """Cached trunk activations ``[N, views, ...]``, pooled features ``[N, views, D]`` and labels of train and valid."""

    train_trunk: torch.Tensor
    train_features: torch.Tensor
    train_labels: np.ndarray
    valid_trunk: torch.Tensor
    valid_features: torch.Tensor
    valid_labels: np.ndarray

    def subset(self, index: np.ndarray) -> StageData:
        """The same data with only the training images ``index``."""
        return dataclasses.replace(
            self,
            train_trunk=self.train_trunk[index],
            train_features=self.train_features[index],
            train_labels=self.train_labels[index],
        )


def _fit_stages(
    network: Classifier, top_start: int, data: StageData, config: TrainConfig, progress
) -> tuple[dict[int, float], dict[str, dict], int, dict[str, float]]:
    """Stage 1 per seed (best kept, or heads averaged), then stage 2; return scores, histories, best seed, timings."""
    seed_scores, head_states, histories = {}, {}, {}
    started = time.perf_counter()
    for seed in config.seeds:
        history = fit_head(
            network,
            data.train_features,
            data.train_labels,
            data.valid_features,
            data.valid_labels,
            config.stage1,
            seed,
            progress,
        )
        seed_scores[seed] = history.valid_macro_f1[history.best_epoch]
        head_states[seed] = {k: v.clone() for k, v in network.head.state_dict().items()}
        histories[f"stage1_seed{seed}"] = history.to_dict()
        log.info(
            "stage 1 seed %d: best validation macro-F1 %.3f at epoch %d", seed, seed_scores[seed], history.best_epoch
        )
    best_seed = max(seed_scores, key=lambda s: seed_scores[s])
    merged = average_states(list(head_states.values())) if config.seed_merge == "average" else head_states[best_seed]
    network.head.load_state_dict(merged)
    timings = {"stage1_s": time.perf_counter() - started}
    if config.stage2 is not None and top_start < len(network.features):
        history = fit_top(
            network,
            top_start,
            data.train_trunk,
            data.train_labels,
            data.valid_trunk,
            data.valid_labels,
            config.stage2,
            best_seed,
            progress,
        )
        histories["stage2"] = history.to_dict()
        timings["stage2_s"] = time.perf_counter() - started - timings["stage1_s"]
    return seed_scores, histories, best_seed, timings


def _held_out_scores(logits: np.ndarray, labels: np.ndarray, valid_count: int) -> dict[str, dict]:
    """Accuracy and macro F1 of held-out ``logits`` (out-of-fold rows first, the last ``valid_count`` rows validation).

    On the out-of-fold + validation set these are a far steadier basis for choosing a recipe than validation alone.
    """
    probabilities = softmax(logits)
    parts = {
        "all": slice(None),
        "out_of_fold": slice(0, len(labels) - valid_count),
        "valid": slice(len(labels) - valid_count, None),
    }
    return {name: {"images": len(labels[part]), **classification_scores(probabilities[part], labels[part])}
            for name, part in parts.items() if len(labels[part])}


@dataclass
class _Member:
    """One trained network of a recipe (the whole model, or one side of a resolution ensemble)."""

    network: Classifier
    valid_logits: np.ndarray
    out_of_fold: np.ndarray | None
    seed_scores: dict[int, float]
    histories: dict[str, dict]
    best_seed: int
    timings: dict[str, float]


def _train_member(
    network: Classifier,
    top_start: int,
    cache_name: str,
    config: TrainConfig,
    split: DataSplit,
    squares: tuple[np.ndarray, np.ndarray],
    labels: tuple[np.ndarray, np.ndarray],
    params: PreprocessParams,
    progress,
) -> _Member:
    """Cache ``network``'s trunk activations, fit both stages and, with calibration folds, its out-of-fold logits."""
    started = time.perf_counter()
    (train_squares, valid_squares), (train_labels, valid_labels) = squares, labels

    def trunk(records, images, views):
        key = trunk_cache_key(records, params, cache_name, top_start, views, seed=0)
        return cached(
            config.cache_dir,
            key,
            lambda: cache_trunk(network, top_start, images, params, views, seed=0, progress=progress),
        )

    train_trunk = trunk(split.train, train_squares, config.views)
    valid_trunk = trunk(split.valid, valid_squares, 1)
    timings = {"feature_cache_s": time.perf_counter() - started}
    data = StageData(train_trunk, pooled_features(network, top_start, train_trunk), train_labels,
                     valid_trunk, pooled_features(network, top_start, valid_trunk), valid_labels)
    initial_state = copy.deepcopy(network.state_dict())
    seed_scores, histories, best_seed, stage_timings = _fit_stages(network, top_start, data, config, progress)
    timings.update(stage_timings)
    valid_logits = full_logits(network, network_batch(valid_squares, params))
    out_of_fold = None
    if config.calibration_folds:
        final_state = copy.deepcopy(network.state_dict())
        fold_started = time.perf_counter()

        def fit_predict(fit_index: np.ndarray, held_index: np.ndarray) -> np.ndarray:
            network.load_state_dict(initial_state)
            _fit_stages(network, top_start, data.subset(fit_index), config, iter)
            return top_logits(network, top_start, train_trunk[held_index, 0]).numpy()

        groups = group_indices(split.train, DATASETS[config.dataset].scan_key)
        out_of_fold = out_of_fold_logits(fit_predict, groups, config.calibration_folds)
        network.load_state_dict(final_state)
        timings["out_of_fold_s"] = time.perf_counter() - fold_started
    return _Member(network, valid_logits, out_of_fold, seed_scores, histories, best_seed, timings)


def _top_start(config: TrainConfig) -> int:
    """The first stage fine-tuned in stage 2: ``config.top_start``, else the backbone's own."""
    return backbone_spec(config.architecture).top_start if config.top_start is None else config.top_start


def _train_members(
    config: TrainConfig, split: DataSplit, squares, labels, params: PreprocessParams, class_count: int, progress
) -> tuple[list[_Member], str]:
    """One trained network per input side of ``config``; and where their starting weights came from."""
    top_start = _top_start(config)
    if len(config.sizes) == 1:
        network, source = build_classifier(config.architecture, class_count, params.size, config.pretrained)
        return [
            _train_member(network, top_start, config.architecture, config, split, squares, labels, params, progress)
        ], source
    networks, source = build_ensemble_members(
        config.architecture, config.sizes, class_count, config.pretrained, len(params.channels)
    )
    members = []
    for side, network in zip(sorted(config.sizes), networks):
        resampled = side != params.size
        log.info("resolution ensemble: training the %d px member", side)
        cache_name = f"{config.architecture} resampled to {side} px" if resampled else config.architecture
        start = member_top_start(top_start, len(network.features) - 2 * resampled, resampled)
        members.append(_train_member(network, start, cache_name, config, split, squares, labels, params, progress))
    return members, source


def _ensemble_notes(sides: tuple[int, ...]) -> tuple[str, ...]:
    """What a reader of the card needs to know about a resolution ensemble (nothing for a single network)."""
    if len(sides) == 1:
        return ()
    smaller = ", ".join(f"{side} px" for side in sorted(sides)[:-1])
    return (
        f"resolution ensemble of {len(sides)} networks trained separately at "
        f"{', '.join(f'{side} px' for side in sorted(sides))} input; "
        f"its logits are the mean of theirs. The input is preprocessed at {max(sides)} px; "
        f"the {smaller} member(s) resample it "
        "inside the network (bilinear) and their last trunk map back to the largest member's grid, "
        "in training as in use.",
    )


def _per_member(members: list[_Member], sides: tuple[int, ...], value: Callable[[_Member], object]):
    """``value`` of the single network, or a dict of it per member side (``"288"`` ...) for an ensemble."""
    if len(members) == 1:
        return value(members[0])
    return {str(side): value(member) for side, member in zip(sorted(sides), members)}


def train_model(config: TrainConfig, progress: Callable[[Iterable], Iterable] = iter) -> TrainResult:
    """Train, calibrate and save one model as ``config.output_dir/config.model_id``; returns what the report needs.

    With several ``config.sizes`` every side trains its own network, each as a single model would, and the model
    shipped is their resolution ensemble (:mod:`lungview.models.ensemble`): the mean of their logits, calibrated
    on the mean of their held-out logits.
    """
    torch.set_num_threads(2)
    dataset = DATASETS[config.dataset]
    spec = backbone_spec(config.architecture)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    audit = audit_dataset(config.data_root, dataset.layout, progress)
    split = _limited(dataset.split(audit), config.max_images)
    timings["audit_s"] = time.perf_counter() - started
    params = PreprocessParams(size=max(config.sizes), channels=(PRESETS["lung"],) * 3, normalisation=spec.normalisation)
    train_labels = _labels(split.train, dataset.classes)
    valid_labels = _labels(split.valid, dataset.classes)
    train_squares = load_squares(split.train, config.data_root, params, progress)
    valid_squares = load_squares(split.valid, config.data_root, params, progress)
    members, pretrained_source = _train_members(
        config,
        split,
        (train_squares, valid_squares),
        (train_labels, valid_labels),
        params,
        len(dataset.classes),
        progress,
    )
    for member, side in zip(members, sorted(config.sizes)):
        prefix = f"{side}px_" if len(members) > 1 else ""
        timings.update({prefix + name: value for name, value in member.timings.items()})
    network = members[0].network if len(members) == 1 else combine([member.network for member in members])
    architecture = config.architecture
    if len(members) > 1:
        architecture = Architecture.parse(architecture).with_sizes(config.sizes).name
    top_start = _top_start(config)
    seed_scores = _per_member(
        members, config.sizes, lambda member: {str(seed): score for seed, score in member.seed_scores.items()}
    )
    best_seed = _per_member(members, config.sizes, lambda member: member.best_seed)
    histories = {(f"{side}px " if len(members) > 1 else "") + name: history
                 for side, member in zip(sorted(config.sizes), members) for name, history in member.histories.items()}

    valid_logits = np.mean([member.valid_logits for member in members], axis=0)
    calibration_logits, calibration_labels = valid_logits, valid_labels
    if config.calibration_folds:
        out_of_fold = np.mean([member.out_of_fold for member in members], axis=0)
        calibration_logits = np.concatenate([out_of_fold, valid_logits])
        calibration_labels = np.concatenate([train_labels, valid_labels])
    temperature = fit_temperature(calibration_logits, calibration_labels)
    temperature_fit = {
        "images": len(calibration_labels),
        "before": calibration_measures(softmax(calibration_logits), calibration_labels),
        "after": calibration_measures(softmax(calibration_logits, temperature), calibration_labels),
        "scores": _held_out_scores(calibration_logits, calibration_labels, len(valid_labels)),
    }
    cancer_columns = [dataset.classes.index(name) for name in dataset.cancer_classes]
    valid_cancer = softmax(valid_logits, temperature)[:, cancer_columns].sum(axis=1)
    threshold = threshold_for_sensitivity(valid_cancer, np.isin(valid_labels, cancer_columns), 0.98)

    card = ModelCard(
        id=config.model_id,
        version=config.version,
        architecture=architecture,
        classes=dataset.classes,
        cancer_classes=dataset.cancer_classes,
        cancer_rule=dataset.cancer_rule,
        threshold=threshold,
        temperature=temperature,
        preprocessing=params,
        sha256="",
        pretrained_source=pretrained_source,
        hu_input="A HU slice is windowed with each channel's window (lung W1500/L-600) before the grey pipeline; "
        "grey PNG/JPG input (0..255) is used as is.",
        data={
            "layout": dataset.layout,
            "dataset": dataset.description,
            "split_method": split.method,
            "counts": split.counts(dataset.classes),
            "audit": audit.summary(),
        },
        training={
            "stage1": {
                **dataclasses.asdict(config.stage1),
                "trained": "dropout + linear head on frozen pooled features",
            },
            "stage2": None
            if config.stage2 is None
            else {
                **dataclasses.asdict(config.stage2),
                "trained": f"features[{top_start}:] + head, batch-norm frozen"
                + (" (of each member's own backbone)" if len(members) > 1 else ""),
            },
            "seeds": list(config.seeds),
            "validation_macro_f1_per_seed": seed_scores,
            "chosen_seed": best_seed,
            "seed_merge": "stage-1 heads of all seeds averaged (their logits averaged)"
            if config.seed_merge == "average"
            else "best seed by validation macro-F1",
            "augmented_views_per_image": config.views - 1,
            "loss": "class-weighted cross-entropy (inverse frequency)",
            "threshold_rule": "highest cancer-probability threshold with >= 98 % sensitivity on validation",
            "temperature_fitted_on": (
                f"out-of-fold logits of the training images ({config.calibration_folds} folds; "
                "a scan's slices and a duplicate family stay in one fold; "
                "each fold trained like the shipped model) and the validation logits"
            )
            if config.calibration_folds
            else "validation logits",
            "temperature_fit": temperature_fit,
            "timings_s": timings,
        },
        intended_use=INTENDED_USE,
        limits=LIMITS,
        notes=_normalisation_notes(config) + _ensemble_notes(config.sizes),
    )
    card = _save_small(config.output_dir / config.model_id, network, card, valid_squares, valid_logits)
    timings["total_s"] = time.perf_counter() - started
    return TrainResult(card, split, audit, histories, valid_logits, valid_labels, timings)
