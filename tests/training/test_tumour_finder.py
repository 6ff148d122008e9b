"""The lesion-finding ct-tumour-slice end to end on the bundled sample series: TRUTH.csv reading, candidates,
leave-one-patient-out with its figures, shipping and the report."""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from lungview.detection.lesions import Lesion, LesionSlice
from lungview.models import list_model_ids
from lungview.models.card import read_card
from lungview.training.real_ct_data import find_truth_folders, read_truth_series
from lungview.training.tumour_finder import (
    MODEL_ID,
    FinderConfig,
    evaluate_series,
    series_samples,
    train_tumour_finder,
    wilson,
)

#: InstanceNumbers copied into each pretend patient: neighbouring slices, some with the tumour, some without.
PATIENT_SLICES = {"patient-a": tuple(range(8, 17)), "patient-b": tuple(range(18, 28))}


def write_patient(sample: Path, target: Path, instances: tuple[int, ...]) -> None:
    with open(sample / "TRUTH.csv", newline="") as stream:
        rows = [row for row in csv.DictReader(stream) if int(row["instance_number"]) in instances]
    target.mkdir(parents=True)
    for row in rows:
        shutil.copy(sample / row["slice_file"], target / row["slice_file"])
    with open(target / "TRUTH.csv", "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def two_patients(sample_series_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "series"
    for name, instances in PATIENT_SLICES.items():
        write_patient(sample_series_dir, root / name, instances)
    return root


def tiny_config(root: Path, out: Path) -> FinderConfig:
    return FinderConfig(data_root=root, output_dir=out, architecture="tiny-cnn-cells-ms", size=64)


def test_read_truth_series_on_the_sample(sample_series_dir: Path):
    series = read_truth_series(sample_series_dir)
    assert len(series.images) == 30 and series.tumour_count == 11
    first = series.has_tumour.index(True)
    assert series.boxes[first] == (301, 329, 351, 372)
    assert series.slice_mm == pytest.approx(5.0)
    assert find_truth_folders(sample_series_dir) == [sample_series_dir]


def test_read_truth_series_says_what_is_wrong(tmp_path: Path):
    with pytest.raises(ValueError, match="TRUTH.csv"):
        read_truth_series(tmp_path)


def test_the_sample_tumour_forms_labelled_candidates(sample_series_dir: Path, tmp_path: Path):
    truth = read_truth_series(sample_series_dir)
    samples = series_samples(truth, _tiny_features(), tiny_config(sample_series_dir, tmp_path))
    assert (samples.labels == 1).sum() >= 5 and (samples.labels == 0).sum() > (samples.labels == 1).sum()
    assert samples.features.shape == (len(samples.blobs), 24)
    assert np.isfinite(samples.features.astype(np.float32)).all()


def _tiny_features():
    from lungview.models.backbones import build_classifier

    network, _ = build_classifier("tiny-cnn-cells-ms", 2, 64, pretrained=False)
    return network.eval().features


def test_training_ships_a_lesion_finder_with_its_figures_and_report(two_patients: Path, tmp_path: Path):
    from lungview.training.finder_report import write_finder_report

    config = tiny_config(two_patients, tmp_path / "weights")
    result = train_tumour_finder(config)
    assert [row["series"] for row in result.per_patient] == ["patient-a", "patient-b"]
    for row in result.per_patient:
        assert 0.0 <= row["specificity"] <= 1.0 and len(row["sensitivity_ci95"]) == 2
        assert isinstance(row["top_finding_on_tumour"], bool) and 0.0 <= row["location_in_box"] <= 1.0
    assert list_model_ids(config.output_dir) == [MODEL_ID]
    card = read_card(config.output_dir / MODEL_ID)
    assert card.lesion_finder and card.classes == ("no tumour", "tumour") and len(card.sha256) == 64
    assert card.preprocessing.resample == "hu"
    assert card.metrics["leave_one_patient_out"] == result.per_patient
    folder = write_finder_report(config.output_dir / MODEL_ID, card, result.per_patient, result.gallery)
    assert "| patient-a |" in (folder / "report.md").read_text()


def test_evaluation_counts_location_and_the_top_finding(sample_series_dir: Path, tmp_path: Path):
    truth = read_truth_series(sample_series_dir)
    samples = series_samples(truth, _tiny_features(), tiny_config(sample_series_dir, tmp_path))
    tumour = [i for i, flag in enumerate(truth.has_tumour) if flag]
    on_tumour = tuple(LesionSlice(i, None, "", (330, 300, 360, 340)) for i in tumour)  # (row0, col0, row1, col1)
    elsewhere = (LesionSlice(0, None, "", (10, 10, 20, 20)), LesionSlice(1, None, "", (10, 10, 20, 20)))
    lesions = [Lesion(1, 0.9, tumour[0], 345, 320, None, on_tumour), Lesion(2, 0.8, 0, 15, 15, None, elsewhere)]
    row = evaluate_series(samples, lesions, threshold=0.5)
    assert row["sensitivity"] == 1.0 and row["top_finding_on_tumour"] is True
    assert row["specificity"] == pytest.approx(1 - 2 / (len(truth.images) - len(tumour)))
    assert 0.0 < row["location_in_box"] <= 1.0 and 0.0 < row["box_iou"] < 1.0


def test_wilson_interval():
    low, high = wilson(9, 10)
    assert low == pytest.approx(0.596, abs=1e-3) and high == pytest.approx(0.982, abs=1e-3)
    assert wilson(0, 0) != wilson(0, 0)  # NaN for no trials


def test_lungview_train_needs_two_patients(sample_series_dir: Path, tmp_path: Path, capsys):
    from lungview.cli import main as cli_main

    argv = ["train", "real-ct-tumour", str(sample_series_dir), "--model-id", MODEL_ID, "--weights-dir", str(tmp_path)]
    assert cli_main(argv) == 2
    assert "at least two" in capsys.readouterr().out
