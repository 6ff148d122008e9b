"""Train ``ct-tumour-slice`` (issue 9): a per-cell tumour head on frozen EfficientNet-Lite0 features of real HU slices.

Design (each choice measured leave-one-patient-out on the shared series, see the model's report):

- Input: the whole HU slice windowed three ways (lung, mediastinal, wide) as the three channels, 512 px, no crop,
  so a 0.7-0.85 mm pixel keeps its size and a tumour covers a few cells of the 16 x 16 feature map. The config can
  instead resample to ``spacing_mm`` pixels around the body, black out all but the lung field and add mirrored
  views; measured leave-one-patient-out in the research log, none beat the shipped input on every series.
- Network (``efficientnet-lite0-cells-lunggate-mirror``): the feature map is averaged with the mirror image's and
  multiplied by a lung gate computed inside the network from the lung-window channel, so only cells in or beside
  the lungs can win (:mod:`lungview.models.cell_classifier`); the image the backbone sees is not masked.
- Head: one logistic regression scores every feature-map cell; a slice scores as its most tumour-like cell
  (:class:`lungview.models.cell_classifier.CellMaxClassifier`). The tumour box is the weak localisation: cells the
  box covers are positives, cells of the other slices of the same patients (and cells away from the box) inside
  the gate are negatives, with two rounds of hard-negative mining.
- Evaluation: leave one patient out; per patient the tumour-slice AUC and the fraction of tumour slices whose
  Grad-CAM peak (the shipped model's own heatmap) falls inside the tumour box. Temperature and threshold come
  from the out-of-fold scores; the shipped head is then fitted on every series.

Run ``python -m lungview.training.tumour_slice ../shared/data/dicom`` (or ``lungview train real-ct-tumour``).
"""

from __future__ import annotations

import argparse
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
from lungview.models.backbones import build_classifier
from lungview.models.card import ModelCard
from lungview.models.cell_classifier import has_lung_gate, has_mirror_average
from lungview.models.predict import LoadedModel
from lungview.models.preprocess import CropBox, PreprocessParams, letterbox, prepare_input
from lungview.models.registry import save_model
from lungview.training.calibration import fit_temperature, threshold_for_sensitivity
from lungview.training.real_ct_data import TruthSeries, attribution, find_truth_folders, read_truth_series
from lungview.windowing import PRESETS, Window

log = logging.getLogger(__name__)

MODEL_ID = "ct-tumour-slice"
CLASSES = ("no tumour", "tumour")
#: Lung, mediastinal and a wide window: air, soft tissue and the transition between them stay distinguishable.
HU_CHANNELS = (PRESETS["lung"], PRESETS["mediastinum"], Window(-300, 2000))

LIMITS = (
    "Trained on three real chest-CT series (one Lung-PET-CT-Dx adenocarcinoma, two LIDC-IDRI patients), so it has "
    "seen three tumours' worth of positives; expect misses on tumour types, sizes and scanners it has not seen.",
    "One slice at a time: it cannot use the neighbouring slices, so vessels, atelectasis at the lung bases and the "
    "liver dome seen in one slice can score like a nodule.",
    "Needs Hounsfield units (DICOM CT). Grey PNG/JPG input runs, but this model was never trained or tested on it.",
    "Choices (windows, cell rule, regularisation, hard-negative rounds, pixel size, lung-field mask, lung gate, map "
    "stride, mirrored views and mirror average) "
    "were compared by leave-one-patient-out on the same three series that the figures are reported on, so those "
    "figures are optimistic.",
    "Not a diagnosis: the score says which slices to look at first, not whether a lesion is cancer.",
    "The lung gate is a density rule, not a segmentation: air pockets enclosed by blanket folds or the table edge "
    "outside the body can stay inside it and score; and the heatmap peak often lies outside the tumour box (the CAM "
    "column of the leave-one-patient-out table), so the overlay says which cells drove the score, not where the "
    "tumour is.",
)

NO_SPACING_LIMIT = (
    "No pixel-spacing normalisation: the slice is used at its stored matrix (512 px expected); very different "
    "fields of view change the apparent tumour size."
)

GATE_NOTE = (
    "Lung gate (lungview.models.cell_classifier): computed inside the network from the lung-window input channel "
    "(cells of lung density, -960 to -400 HU, that cannot be reached from the image border without crossing tissue, "
    "grown by about 32 input pixels); feature-map cells outside it are zero, "
    "so the slice score, the ONNX fast path and the heatmap only use cells in or beside the lungs, while the image "
    "the backbone sees is not masked."
)


@dataclass(frozen=True)
class TumourSliceConfig:
    """Everything that decides the trained model."""

    data_root: Path
    output_dir: Path
    model_id: str = MODEL_ID
    #: The model's own version; bump it when a retrained model replaces the shipped one.
    version: str = "0.2.0"
    architecture: str = "efficientnet-lite0-cells-lunggate-mirror"
    size: int = 512
    spacing_mm: float | None = None
    lung_field: bool = False
    lung_margin_mm: float = 5.0
    mirror: bool = False
    positive_cover: float = 0.3
    regularisation: float = 0.01
    hard_negative_rounds: int = 2
    hard_negatives_per_round: int = 2000
    max_negatives: int = 30000
    sensitivity: float = 0.9
    seed: int = 0
    cache_dir: Path | None = None

    def params(self) -> PreprocessParams:
        """The preprocessing stored in the card: three HU windows, fixed pixel size around the body, lung field."""
        return PreprocessParams(
            size=self.size,
            channels=HU_CHANNELS,
            crop="none",
            normalisation="minus_one_to_one",
            spacing_mm=self.spacing_mm,
            lung_field=self.lung_field,
            lung_margin_mm=self.lung_margin_mm,
        )


@dataclass(frozen=True)
class CellSet:
    """Frozen features of every cell of one series and their labels.

    ``features`` is float16 ``[slices, views, cells, D]`` (view 1 is the mirrored slice); ``labels`` is int8
    ``[slices, views, cells]``: 1 tumour, 0 not tumour, -1 left out (touches the box but is not inside it, or lies
    outside the network's lung gate, where its features are all zero).
    """

    name: str
    features: np.ndarray
    labels: np.ndarray
    has_tumour: np.ndarray


@dataclass(frozen=True)
class CellHead:
    """A linear cell score ``features @ weight + bias`` in the raw feature space."""

    weight: np.ndarray
    bias: float

    def slice_scores(self, cells: CellSet, view: int = 0) -> np.ndarray:
        """Each slice's highest cell score among its non-zero cells (the tumour logit the shipped network returns)."""
        features = cells.features[:, view]
        scores = np.where(gated_in(features), features.astype(np.float32) @ self.weight, -np.inf).max(axis=1)
        return np.where(np.isfinite(scores), scores, 0.0) + self.bias


def gated_in(features: np.ndarray) -> np.ndarray:
    """Cells whose feature vector is not all zero (the best-cell pool skips the others: outside the lung gate)."""
    return np.any(features != 0, axis=-1)


def cell_labels(cover: np.ndarray, has_tumour: bool, positive_cover: float) -> np.ndarray:
    """Labels of a ``[rows, columns]`` grid from the fraction of each cell the tumour box covers.

    Positive: cover at least ``positive_cover``, or the cell holding the most cover. Negative: no cover and no
    covered neighbour (8-connected). Every cell of a slice without tumour is negative.
    """
    labels = np.zeros(cover.shape, np.int8)
    if not has_tumour:
        return labels
    touched = cover > 0
    padded = np.pad(touched, 1)
    near = np.zeros_like(touched)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            near |= padded[dy : dy + cover.shape[0], dx : dx + cover.shape[1]]
    labels[near] = -1
    labels[cover >= positive_cover] = 1
    labels[np.unravel_index(int(np.argmax(cover)), cover.shape)] = 1
    return labels


def box_cover(box: tuple[int, int, int, int], image_shape: tuple[int, int], crop: CropBox, size: int, grid: int) -> np.ndarray:
    """Fraction of each cell of the ``grid`` x ``grid`` feature map that the (inclusive) pixel box covers.

    The box is pushed through the same crop and letterbox as the image (``crop`` from :func:`prepare_input`).
    """
    mask = np.zeros(image_shape, np.float32)
    mask[box[1] : box[3] + 1, box[0] : box[2] + 1] = 1.0
    block = size // grid
    return letterbox(mask, crop, size).reshape(grid, block, grid, block).mean(axis=(1, 3))


def _cache_path(config: TumourSliceConfig, name: str) -> Path | None:
    if config.cache_dir is None:
        return None
    key = json.dumps([config.architecture, config.params().to_dict(), config.mirror, config.positive_cover, __version__], sort_keys=True)
    return Path(config.cache_dir) / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npz"


def extract_cells(
    series: TruthSeries, features: torch.nn.Module, config: TumourSliceConfig, progress: Callable[[Iterable], Iterable] = iter
) -> CellSet:
    """Run the frozen backbone over every slice (and its mirror image) and label each cell from the tumour box."""
    cached = _cache_path(config, series.name)
    if cached is not None and cached.is_file():
        with np.load(cached) as stored:
            return CellSet(series.name, stored["features"], stored["labels"], stored["has_tumour"])
    params = config.params()
    all_features, all_labels = [], []
    for image, has_tumour, box, spacing in progress(list(zip(series.images, series.has_tumour, series.boxes, series.spacings))):
        network_input, crop = prepare_input(image, True, params, spacing)
        views = [network_input, network_input[:, :, ::-1]] if config.mirror else [network_input]
        with torch.inference_mode():
            feature_map = features(torch.from_numpy(np.ascontiguousarray(np.stack(views)))).numpy()
        grid = feature_map.shape[-1]
        cover = box_cover(box, image.shape, crop, params.size, grid) if box is not None else np.zeros((grid, grid))
        covers = [cover, cover[:, ::-1]][: len(views)]
        all_features.append(feature_map.reshape(len(views), feature_map.shape[1], -1).transpose(0, 2, 1).astype(np.float16))
        labels = np.stack([cell_labels(c, has_tumour, config.positive_cover).ravel() for c in covers])
        labels[~gated_in(all_features[-1])] = -1
        all_labels.append(labels)
    cells = CellSet(series.name, np.stack(all_features), np.stack(all_labels), np.array(series.has_tumour, bool))
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cached, features=cells.features, labels=cells.labels, has_tumour=cells.has_tumour)
    return cells


def fit_cell_head(training: Sequence[CellSet], config: TumourSliceConfig) -> CellHead:
    """Class-balanced logistic regression on cells, with rounds of hard-negative mining over every negative cell."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(config.seed)
    positives = np.concatenate([c.features[c.labels == 1] for c in training]).astype(np.float32)
    negatives = np.concatenate([c.features[c.labels == 0] for c in training])
    if len(positives) == 0 or len(negatives) == 0:
        raise ValueError("training needs at least one tumour slice and one slice without tumour")
    sample = negatives[rng.choice(len(negatives), min(len(negatives), config.max_negatives), replace=False)]
    x = np.concatenate([positives, sample.astype(np.float32)])
    y = np.r_[np.ones(len(positives)), np.zeros(len(sample))]
    scaler = StandardScaler().fit(x)
    for round_index in range(config.hard_negative_rounds + 1):
        model = LogisticRegression(C=config.regularisation, class_weight="balanced", max_iter=500).fit(scaler.transform(x), y)
        weight = (model.coef_[0] / scaler.scale_).astype(np.float32)
        bias = float(model.intercept_[0] - weight @ scaler.mean_)
        if round_index == config.hard_negative_rounds:
            break
        scores = np.concatenate([chunk.astype(np.float32) @ weight for chunk in np.array_split(negatives, max(1, len(negatives) // 20000))])
        hardest = negatives[np.argsort(-scores)[: config.hard_negatives_per_round]].astype(np.float32)
        x = np.concatenate([x, hardest])
        y = np.r_[y, np.zeros(len(hardest))]
    return CellHead(weight, bias)


def network_with_head(backbone: torch.nn.Module, head: CellHead) -> torch.nn.Module:
    """Put ``head`` into the tumour column of the network's linear head (the no-tumour logit stays 0)."""
    with torch.no_grad():
        backbone.head.weight.zero_()
        backbone.head.bias.zero_()
        backbone.head.weight[1] = torch.from_numpy(head.weight)
        backbone.head.bias[1] = head.bias
    return backbone.eval()


def cam_peak_in_box(heatmap: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether the heatmap's highest pixel lies in the inclusive box."""
    row, column = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    return bool(box[0] <= column <= box[2] and box[1] <= row <= box[3])


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def draft_card(config: TumourSliceConfig, temperature: float = 1.0, threshold: float = 0.5, **fields) -> ModelCard:
    """The card of this model before its weights are written (sha256 is filled in by ``save_model``)."""
    return ModelCard(
        id=config.model_id,
        version=config.version,
        architecture=config.architecture,
        classes=CLASSES,
        cancer_classes=("tumour",),
        cancer_rule="P(tumour) of the slice's most tumour-like feature-map cell",
        threshold=threshold,
        temperature=temperature,
        preprocessing=config.params(),
        sha256="",
        intended_use=INTENDED_USE,
        limits=LIMITS + ((NO_SPACING_LIMIT,) if config.spacing_mm is None else ()),
        **fields,
    )


@dataclass(frozen=True)
class TumourSliceResult:
    """The shipped card, the per-patient leave-one-patient-out table and CAM examples for the report."""

    card: ModelCard
    per_patient: list[dict]
    gallery: list[dict]


def leave_one_patient_out(
    series: Sequence[TruthSeries], cells: Sequence[CellSet], backbone: torch.nn.Module, config: TumourSliceConfig
) -> tuple[list[dict], np.ndarray, np.ndarray, list[dict]]:
    """Per held-out patient: AUC, CAM-in-box fraction; also every out-of-fold score and label, and CAM examples."""
    rows, all_scores, all_labels, gallery = [], [], [], []
    for held_out, (truth, test) in enumerate(zip(series, cells)):
        head = fit_cell_head([c for i, c in enumerate(cells) if i != held_out], config)
        scores = head.slice_scores(test)
        model = LoadedModel(draft_card(config), network_with_head(backbone, head))
        hits, tumour_rows = [], np.flatnonzero(test.has_tumour)
        for index in tumour_rows:
            heatmap = model.cam(truth.images[index], True, class_name="tumour", pixel_spacing=truth.spacings[index])
            hits.append(cam_peak_in_box(heatmap, truth.boxes[index]))
            if index == tumour_rows[len(tumour_rows) // 2]:
                gallery.append({"series": truth.name, "slice": int(index), "box": truth.boxes[index], "heatmap": heatmap, "image": truth.images[index]})
        rows.append(
            {
                "series": truth.name,
                "slices": len(test.has_tumour),
                "tumour_slices": int(test.has_tumour.sum()),
                "tumour_slice_auc": _auc(test.has_tumour, scores),
                "cam_peak_in_box": float(np.mean(hits)) if hits else float("nan"),
                **attribution(truth.name),
            }
        )
        all_scores.append(scores)
        all_labels.append(test.has_tumour)
        log.info("held out series %d: AUC %.3f, CAM peak in box %.2f", held_out + 1, rows[-1]["tumour_slice_auc"], rows[-1]["cam_peak_in_box"])
    return rows, np.concatenate(all_scores), np.concatenate(all_labels), gallery


def replaced_figures(folder: Path) -> dict | None:
    """The version and per-patient LOPO figures of the model in ``folder`` that this run replaces (None if none)."""
    try:
        previous = json.loads((Path(folder) / "card.json").read_text(encoding="utf-8"))
        rows = previous["metrics"]["leave_one_patient_out"]
        keep = ("series", "tumour_slice_auc", "cam_peak_in_box")
        return {"version": previous["version"], "leave_one_patient_out": [{key: row[key] for key in keep} for row in rows]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _describe_input(config: TumourSliceConfig) -> str:
    where = (
        f"resampled to {config.spacing_mm:g} mm pixels in a {config.size}-px square centred on the body (HU > -500)"
        if config.spacing_mm
        else f"whole slice letterboxed to {config.size} px"
    )
    mask = (
        f"; black outside the lung field (HU < -400 in the body, convex hull per lung, grown {config.lung_margin_mm:g} mm)"
        if config.lung_field
        else ""
    )
    return (
        "HU slice windowed three times (lung W1500/L-600, mediastinal W350/L40, wide W2000/L-300) into the three "
        f"input channels; {where}{mask}."
    )


def train_tumour_slice(config: TumourSliceConfig, progress: Callable[[Iterable], Iterable] = iter) -> TumourSliceResult:
    """Read the series, cache cell features, run leave-one-patient-out, fit on all series and ship the model."""
    torch.manual_seed(config.seed)
    started = time.monotonic()
    folders = find_truth_folders(config.data_root)
    if len(folders) < 2:
        raise ValueError(f"leave-one-patient-out needs at least two folders with TRUTH.csv under {config.data_root}")
    series = [read_truth_series(folder) for folder in folders]
    backbone, pretrained_source = build_classifier(config.architecture, len(CLASSES), config.size, pretrained=True)
    backbone.eval()
    cells = [extract_cells(s, backbone.features, config, progress) for s in series]
    features_s = time.monotonic() - started
    grid = round(cells[0].features.shape[2] ** 0.5)
    gate = has_lung_gate(config.architecture)
    mirror_average = has_mirror_average(config.architecture)
    per_patient, oof_scores, oof_labels, gallery = leave_one_patient_out(series, cells, backbone, config)
    folder = config.output_dir / config.model_id
    replaced = replaced_figures(folder)
    oof_logits = np.stack([np.zeros_like(oof_scores), oof_scores], axis=1)
    temperature = fit_temperature(oof_logits, oof_labels.astype(int))
    oof_probability = 1.0 / (1.0 + np.exp(-oof_scores / temperature))
    threshold = threshold_for_sensitivity(oof_probability, oof_labels, config.sensitivity)
    head = fit_cell_head(cells, config)
    network = network_with_head(backbone, head)
    card = draft_card(
        config,
        temperature=temperature,
        threshold=threshold,
        pretrained_source=pretrained_source,
        hu_input=_describe_input(config),
        data={
            "series": [{"series": s.name, "slices": len(s.images), "tumour_slices": s.tumour_count, **attribution(s.name)} for s in series],
            "tumour_rule": "TRUTH.csv has_tumour (Lung-PET-CT-Dx boxes; LIDC-IDRI: any reader's contour of a nodule >= 3 mm)",
            "not_used": "Kaggle chest-ct-4class and IQ-OTH/NCCD: pre-windowed PNGs without HU or boxes",
        },
        training={
            "head": f"logistic regression on every {grid}x{grid} feature-map cell (class-balanced, L2 C={config.regularisation:g})",
            "positives": f"cells the tumour box covers >= {config.positive_cover:.0%} (and the most covered cell)",
            "negatives": "all cells of slices without tumour; cells not touching the box on tumour slices"
            + ("; only cells inside the network's lung gate (the others are zero and never picked)" if gate else ""),
            "hard_negative_rounds": config.hard_negative_rounds,
            "augmentation": "; ".join(
                (["mirror image (left-right) of every slice as a training view"] if config.mirror else [])
                + (["every map is averaged with its mirror image's inside the network, in training and use"] if mirror_average else [])
            )
            or "none",
            "backbone": "frozen",
            "temperature_and_threshold": f"fitted on out-of-fold slice scores; threshold keeps >= {config.sensitivity:.0%} sensitivity",
            "timings_s": {"features": round(features_s, 1), "total": round(time.monotonic() - started, 1)},
        },
        metrics={
            "leave_one_patient_out": per_patient,
            "pooled_out_of_fold_auc": _auc(oof_labels, oof_scores),
            **({"replaced_version": replaced} if replaced else {}),
        },
        notes=(
            "Grad-CAM of this model is ReLU of the per-cell tumour score map (the head is linear on the last feature map).",
            "Input normalisation [-1, 1] (TF-Lite EfficientNet-Lite0), checked on scikit-image photographs by the issue-4 pipeline.",
        )
        + ((GATE_NOTE,) if gate else ()),
    )
    card = save_model(folder, network, card)
    return TumourSliceResult(card, per_patient, gallery)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lungview.training.tumour_slice DATA_ROOT``: train, evaluate and ship ``ct-tumour-slice``."""
    from lungview import paths

    parser = argparse.ArgumentParser(prog="python -m lungview.training.tumour_slice", description=__doc__.splitlines()[0])
    parser.add_argument("data_root", type=Path, help="folder of annotated series (each with TRUTH.csv), e.g. ../shared/data/dicom")
    parser.add_argument("--weights-dir", type=Path, default=None, help="where to write (default: the app's weights/)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="keep cell features here between runs")
    args = parser.parse_args(argv)
    return run_training(args.data_root, args.weights_dir or paths.weights_dir(), cache_dir=args.cache_dir)


def run_training(data_root: Path, weights_dir: Path, model_id: str = MODEL_ID, cache_dir: Path | None = None) -> int:
    """Train with a progress bar and write the report; a plain message and exit code 2 on bad input."""
    from tqdm import tqdm

    from lungview.training.real_ct_report import write_tumour_slice_report

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = TumourSliceConfig(data_root=data_root, output_dir=weights_dir, model_id=model_id, cache_dir=cache_dir)
    try:
        result = train_tumour_slice(config, progress=lambda items: tqdm(items, leave=False, mininterval=5))
    except ValueError as error:
        print(f"tumour-slice training: {error}")
        return 2
    folder = weights_dir / config.model_id
    write_tumour_slice_report(folder, result)
    print(f"saved {folder} (sha256 {result.card.sha256[:12]}…); report in {folder / 'report'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
