"""Fit a model's out-of-distribution reference on its training images and measure how it separates other images.

``python -m lungview.training.ood_reference MODEL_ID DATA_ROOT [--shared-data DIR]`` writes
``weights/<id>/ood.npz`` (training features' mean and probabilistic-PCA covariance; the threshold is the 99th
percentile of the validation images' scores) and ``weights/<id>/ood_report.json``: the share of images flagged in
the model's own test split, in a CT collection from another source, in real DICOM CT slices (HU, windowed as the
card says), in non-CT DICOM images and in synthetic non-images.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from lungview import paths
from lungview.inference.classifier import SliceClassifier, load_classifier
from lungview.models.ood import REFERENCE_FILE, FeatureReference, fit_feature_reference
from lungview.models.preprocess import read_grey_image

REPORT_FILE = "ood_report.json"
#: Collections of 2-D CT pictures under the shared data folder; every one but the model's own is a test set.
OTHER_PICTURE_SETS = ("chest-ct-4class", "iqothnccd")
COMPONENTS = 32
QUANTILE = 0.99
BATCH = 16


def features_of(classifier: SliceClassifier, images: Iterable[np.ndarray], has_hu: bool) -> np.ndarray:
    """Pooled backbone features ``[N, D]`` of 2-D slices, in batches."""
    chunks, batch = [], []
    for image in images:
        batch.append(image)
        if len(batch) == BATCH:
            chunks.append(classifier.logits_and_features(classifier.prepare(batch, has_hu))[1])
            batch = []
    if batch:
        chunks.append(classifier.logits_and_features(classifier.prepare(batch, has_hu))[1])
    return np.concatenate(chunks) if chunks else np.zeros((0, 1), np.float32)


def _pictures(paths_: Sequence[Path]) -> list[np.ndarray]:
    return [read_grey_image(path) for path in paths_]


def _dicom_slices(folders: Sequence[Path], want_hu: bool, limit: int) -> list[np.ndarray]:
    """Up to ``limit`` decoded slices of the series under ``folders`` that do (or do not) hold HU."""
    from lungview.dicom import DecodeError, read_slice, scan_paths

    images: list[np.ndarray] = []
    for series in scan_paths(folders).series:
        if series.has_hu != want_hu:
            continue
        step = max(1, len(series) // 20)
        for index in range(0, len(series), step):
            try:
                images.append(read_slice(series, index))
            except DecodeError:
                continue
            if len(images) >= limit:
                return images
    return images


def _synthetic(count: int = 24, seed: int = 0) -> list[np.ndarray]:
    """Images that are no photograph of anything: noise, flat grey, ramps, checkerboards (grey 0..255)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:256, :256]
    makers = (
        lambda: rng.uniform(0, 255, (256, 256)),
        lambda: np.full((256, 256), rng.uniform(30, 220)),
        lambda: (cols / 255.0) * 255 * rng.uniform(0.5, 1.0),
        lambda: (((rows // 32) + (cols // 32)) % 2) * 255.0,
    )
    return [makers[i % len(makers)]().astype(np.float32) for i in range(count)]


def _flagged(reference: FeatureReference, features: np.ndarray) -> dict:
    if len(features) == 0:
        return {"images": 0}
    scores = reference.score(features)
    return {
        "images": int(len(scores)),
        "flagged_fraction": round(float(np.mean(scores > reference.threshold)), 3),
        "score_median": round(float(np.median(scores)), 2),
        "score_p05_p95": [round(float(v), 2) for v in np.quantile(scores, [0.05, 0.95])],
    }


def fit_and_measure(model_id: str, data_root: Path, shared_data: Path | None, weights_dir: Path | None = None) -> dict:
    """Fit the reference on the training split, save it beside the card, and measure it on other image sets."""
    from lungview.training.held_out import split_for_card

    weights = weights_dir or paths.weights_dir()
    classifier = load_classifier(model_id, weights)
    _, split = split_for_card(classifier.card, data_root)

    def flagged(images: Iterable[np.ndarray], has_hu: bool = False) -> dict:
        return _flagged(reference, features_of(classifier, images, has_hu))

    def split_pictures(records) -> list[np.ndarray]:
        return _pictures([data_root / record.path for record in records])

    train = features_of(classifier, split_pictures(split.train), False)
    valid = features_of(classifier, split_pictures(split.valid), False)
    reference = fit_feature_reference(train, valid, COMPONENTS, QUANTILE, classifier.card.sha256)
    reference.save(weights / model_id / REFERENCE_FILE)
    sets = {"own_test_split": flagged(split_pictures(split.test))}
    if shared_data is not None:
        dicom = shared_data / "dicom"
        for name in OTHER_PICTURE_SETS:
            if (shared_data / name).resolve() != data_root.resolve():
                pictures = sorted(p for p in (shared_data / name).rglob("*") if p.suffix.lower() in (".png", ".jpg"))
                sets[f"other_source_ct_pictures_{name}"] = flagged(_pictures(pictures[::4]))
        real_ct = _dicom_slices([dicom / "lidc-idri-0001", dicom / "lung-pet-ct-dx-A0001"], True, 80)
        not_ct = _dicom_slices([dicom / "pydicom-test-files"], False, 40)
        sets["real_dicom_ct_hu"] = flagged(real_ct, True)
        sets["non_ct_dicom_images"] = flagged([np.clip(image, 0, 255) for image in not_ct])
    sets["synthetic_non_images"] = flagged(_synthetic())
    report = {
        "model": {"id": model_id, "sha256": classifier.card.sha256},
        "method": f"Mahalanobis distance of pooled backbone features, probabilistic PCA with {COMPONENTS} components "
        f"fitted on {len(train)} training images; "
        f"threshold = {QUANTILE:.0%} quantile of {len(valid)} validation images",
        "threshold": round(reference.threshold, 3),
        "sets": sets,
    }
    (weights / model_id / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line: fit, save and print the measurement."""
    parser = argparse.ArgumentParser(
        prog="python -m lungview.training.ood_reference", description=__doc__.splitlines()[0]
    )
    parser.add_argument("model_id")
    parser.add_argument("data_root", type=Path, help="the model's training data set folder")
    parser.add_argument(
        "--shared-data", type=Path, help="folder with iqothnccd/ and dicom/ for the out-of-distribution sets"
    )
    parser.add_argument("--weights-dir", type=Path, help="default: the app's weights/")
    args = parser.parse_args(argv)
    print(json.dumps(fit_and_measure(args.model_id, args.data_root, args.shared_data, args.weights_dir), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
