"""``lungview train real-ct-lesions``: compare the designs leave one patient out, train the shipped decoder on every
patient, and write ``weights/<id>/`` (``model.pt``, ``card.json``, ``report/``)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import torch

from lungview.detection.components import Calibration
from lungview.inference.lesion_segmenter import ARCHITECTURE, ONNX_FILE, export_onnx
from lungview.models.card import WEIGHTS_FILE, ModelCard, file_sha256, read_card, write_card
from lungview.models.lesion_input import LUNG_WINDOW, MEDIASTINAL_WINDOW, NEIGHBOUR_MM
from lungview.models.lesion_unet import LesionUNet, build_lesion_unet
from lungview.models.preprocess import PreprocessParams
from lungview.training.lesion_decoder_fit import fit_decoder
from lungview.training.lesion_report import summary, write_report
from lungview.training.lesion_training import (
    DESIGNS,
    LesionTrainingConfig,
    design_rank,
    evaluate_design,
    gallery_items,
    load_patients,
    out_of_fold,
    sample_features,
    training_rows,
)
from lungview.training.real_ct_data import attribution
from lungview.windowing import Window

log = logging.getLogger(__name__)

MODEL_ID = "ct-lesion-seg"
VERSION = "1.0.0"

INTENDED_USE = (
    "Research and education: a second reader that outlines and measures lung lesions on axial chest CT "
    "(1-5 mm slices, HU) for a radiologist who reads the whole study. Not a diagnosis, not a screening tool, "
    "no Lung-RADS category: the software measures, the category stays the reader's."
)
LIMITS = (
    "Nine training patients from four collections (LIDC-IDRI, QIN LUNG CT, 4D-Lung, Lung-PET-CT-Dx): the "
    "figures have wide intervals and say little about other scanners, contrast phases or populations.",
    "QIN masks are algorithm results, A0001's mask is soft tissue inside the reader's box: Dice against them is a "
    "consistency figure, not accuracy against a radiologist's outline.",
    "Five of the nine series are lossy JPEG 2000 (4-7 HU RMS error).",
    "Nodules under about 6 mm are small on the 224-pixel network grid (about 1.6 mm per pixel) and often missed.",
    "The encoder is ImageNet's, frozen; only the decoder learnt from CT.",
    "Series with slices thicker than the eligibility rule allows, non-axial or lung-less series are not read "
    "(not evaluable, never 'nothing found').",
)


def shipped_network(decoder, encoder_network: LesionUNet) -> LesionUNet:
    """The pretrained encoder with the trained decoder."""
    encoder_network.decoder.load_state_dict(decoder.state_dict())
    return encoder_network.eval()


def train_lesion_model(
    data_root: Path, weights_dir: Path, model_id: str = MODEL_ID, cache_dir: Path | None = None,
    config: LesionTrainingConfig | None = None,
) -> ModelCard:
    """Run the whole training (module docstring) and return the written card."""
    config = config or LesionTrainingConfig(Path(data_root), cache_dir=cache_dir)
    torch.manual_seed(config.seed)
    series = load_patients(config.data_root)
    network, source = build_lesion_unet(pretrained=True, size=config.size)
    features, meta = sample_features(series, config, network.encoder)
    features = dataclasses.replace(features, maps=tuple(np.ascontiguousarray(m) for m in features.maps))
    results, maps_by_design = {}, {}
    for name, kinds in DESIGNS.items():
        log.info("design %s: leave one patient out", name)
        maps_by_design[name] = out_of_fold(series, features, meta, kinds, config)
        results[name] = evaluate_design(name, series, maps_by_design[name], config.fit_pixel_threshold)
    shipped = max(results, key=lambda name: design_rank(results[name]))
    chosen = results[shipped]
    decoder = fit_decoder(features, training_rows(meta, DESIGNS[shipped], None), config.fit)
    folder = Path(weights_dir) / model_id
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(shipped_network(decoder, network).state_dict(), folder / WEIGHTS_FILE)
    designs = {
        name: {
            "calibration": dataclasses.asdict(result.calibration),
            "threshold": result.threshold,
            "per_patient": result.per_patient,
            "summary": summary(result.per_patient, result.froc),
            "froc": result.froc,
        }
        for name, result in results.items()
    }
    card = make_card(model_id, series, meta, config, chosen.calibration, chosen.threshold, designs, shipped,
                     file_sha256(folder / WEIGHTS_FILE), source)
    write_card(folder, card)
    card = ship_onnx(folder)
    write_report(folder, card, designs, shipped, gallery_items(series, maps_by_design[shipped], chosen))
    return card


def ship_onnx(folder: Path) -> ModelCard:
    """Export the model in ``folder`` to ``model.onnx`` beside its weights and record its SHA-256 in the card."""
    card = read_card(folder)
    export_onnx(card, folder / WEIGHTS_FILE, folder / ONNX_FILE)
    card = dataclasses.replace(card, segmentation={**card.segmentation, "onnx_sha256": file_sha256(folder / ONNX_FILE)})
    write_card(folder, card)
    return card


def make_card(
    model_id, series, meta, config, calibration: Calibration, threshold: float, designs: dict, shipped: str,
    sha256: str, source: str,
) -> ModelCard:
    kinds, counts = np.unique(meta["kind"], return_counts=True)
    return ModelCard(
        id=model_id,
        version=VERSION,
        architecture=ARCHITECTURE,
        classes=("no tumour", "tumour"),
        cancer_classes=("tumour",),
        cancer_rule="P(tumour) of the best finding spanning the slice: a 3-D connected region of pixels at or above "
        f"{calibration.pixel_threshold} tumour probability that touches the lung, scored by the logistic calibration "
        "of its highest pixel probability",
        threshold=float(threshold),
        temperature=1.0,
        preprocessing=PreprocessParams(
            size=config.size, channels=(Window(*LUNG_WINDOW), Window(*MEDIASTINAL_WINDOW), Window(*LUNG_WINDOW)),
            crop="none", resample="hu",
        ),
        sha256=sha256,
        pretrained_source=source,
        hu_input=f"Each slice padded to a square with air, area-resized to {config.size} px in HU, then three "
        "channels: "
        f"the slice in the lung window (W1500/L-600), in the mediastinal window (W400/L40), and the mean of the planes "
        f"{NEIGHBOUR_MM:g} mm above and below (interpolated) in the lung window.",
        data={
            "series": [
                {"series": s.name, "slices": int(len(s.hu)), "tumour_slices": int(s.tumour_slices.sum()),
                 "mask_source": s.source, **attribution(s.name)}
                for s in series
            ],
            "masks": "QIN: union of the folder's SEG segments (algorithm results); 4D-Lung: the RTSTRUCT's tumour ROI; "
            "LIDC-IDRI: every reader's inclusion contours of nodules >= 3 mm; Lung-PET-CT-Dx A0001: soft tissue "
            "(> -400 HU) inside the reader's boxes, largest connected part (made here from HU, cruder than an outline)",
            "samples": {str(kind): int(count) for kind, count in zip(kinds, counts)},
            "not_used": "Kaggle chest-ct-4class and IQ-OTH/NCCD: pre-windowed PNGs without HU or masks",
        },
        training={
            "split": "leave one patient out over the nine patients (each fold trains without that patient and without "
            "synthetic samples carrying its tumour); the shipped decoder is trained on all nine",
            "encoder": "EfficientNet-Lite0, ImageNet, frozen (features cached)",
            "decoder": "U-Net decoder (stride 32 -> 4, skips at 16, 8, 4), Dice + binary cross-entropy, AdamW, "
            "one-cycle",
            "fit": dataclasses.asdict(config.fit),
            "synthetic": f"{config.simulated_per_patient} simulated nodules and {config.pasted_per_patient} pasted "
            "real "
            "tumours per patient, free and against the wall (lungview.training.synthetic_lesions)",
            "designs_compared": list(designs),
            "shipped_design": shipped,
            "seed": config.seed,
            "history": "0.3.0 (ct-tumour-slice, retired): hand-made candidate search + network re-scoring; leave one "
            "patient out on its four series it found the tumour in 2 of 4.",
        },
        metrics={"leave_one_patient_out": designs[shipped]["summary"], "per_patient": designs[shipped]["per_patient"]},
        intended_use=INTENDED_USE,
        limits=LIMITS,
        lesion_finder=True,
        segmentation={
            "input_size": config.size,
            "neighbour_mm": NEIGHBOUR_MM,
            "pixel_threshold": calibration.pixel_threshold,
            "calibration": {"slope": calibration.slope, "intercept": calibration.intercept},
        },
    )


def run_training(data_root: Path, weights_dir: Path, model_id: str = MODEL_ID, cache_dir: Path | None = None) -> int:
    """The command's entry: train, print the pooled figures, return the exit status."""
    logging.getLogger("lungview").setLevel(logging.INFO)
    try:
        card = train_lesion_model(data_root, weights_dir, model_id, cache_dir)
    except ValueError as error:
        print(f"lungview train: {error}")
        return 2
    print(f"wrote {Path(weights_dir) / model_id} ({card.id} {card.version}, threshold {card.threshold:.3f})")
    for key, value in card.metrics["leave_one_patient_out"].items():
        print(f"  {key}: {value}")
    return 0
