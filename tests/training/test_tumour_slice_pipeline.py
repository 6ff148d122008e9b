"""ct-tumour-slice end to end on the bundled sample series: TRUTH.csv reading, leave-one-patient-out, shipping."""

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from lungview.models import list_model_ids, load_model
from lungview.training.real_ct_data import find_truth_folders, read_truth_series
from lungview.training.real_ct_report import write_tumour_slice_report
from lungview.training.tumour_slice import MODEL_ID, TumourSliceConfig, main, train_tumour_slice

#: InstanceNumbers copied into each pretend patient: three tumour slices and three far from the tumour.
PATIENT_SLICES = {"patient-a": (4, 5, 6, 15, 17, 19), "patient-b": (7, 8, 9, 14, 16, 18)}


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


def test_read_truth_series_on_the_sample(sample_series_dir: Path):
    series = read_truth_series(sample_series_dir)
    assert len(series.images) == 30 and series.tumour_count == 11
    first = series.has_tumour.index(True)
    assert series.boxes[first] == (301, 329, 351, 372)
    assert series.images[0].dtype == np.float32 and series.images[0].min() <= -1000
    assert find_truth_folders(sample_series_dir) == [sample_series_dir]


def test_read_truth_series_says_what_is_wrong(tmp_path: Path):
    with pytest.raises(ValueError, match="TRUTH.csv"):
        read_truth_series(tmp_path)
    (tmp_path / "TRUTH.csv").write_text("instance_number,has_tumour,slice_file\n1,no,missing.dcm\n")
    with pytest.raises(ValueError, match="missing.dcm"):
        read_truth_series(tmp_path)


def test_training_ships_a_loadable_model_with_a_report(two_patients: Path, tmp_path: Path):
    config = TumourSliceConfig(data_root=two_patients, output_dir=tmp_path / "weights", architecture="tiny-cnn-cells", size=64, hard_negative_rounds=1)
    result = train_tumour_slice(config)
    assert [row["series"] for row in result.per_patient] == ["patient-a", "patient-b"]
    for row in result.per_patient:
        assert 0.0 <= row["tumour_slice_auc"] <= 1.0 and 0.0 <= row["cam_peak_in_box"] <= 1.0
        assert row["licence"] == "see the folder's SOURCE.md"
    assert list_model_ids(config.output_dir) == [MODEL_ID]
    model = load_model(MODEL_ID, config.output_dir)
    assert model.card.classes == ("no tumour", "tumour")
    assert model.card.metrics["leave_one_patient_out"] == result.per_patient
    folder = write_tumour_slice_report(config.output_dir / MODEL_ID, result)
    assert "| patient-a |" in (folder / "report.md").read_text()
    assert (folder / "cam_gallery.png").stat().st_size > 0


def test_training_with_the_lung_gate_and_mirror_average_says_so_in_the_card(two_patients: Path, tmp_path: Path):
    architecture = "tiny-cnn-cells-lunggate-mirror"
    config = TumourSliceConfig(data_root=two_patients, output_dir=tmp_path, architecture=architecture, size=64, hard_negative_rounds=0)
    card = train_tumour_slice(config).card
    assert load_model(MODEL_ID, tmp_path).card.architecture == architecture
    assert "lung gate" in card.training["negatives"] and "mirror image" in card.training["augmentation"]
    assert any(note.startswith("Lung gate") for note in card.notes)


def test_command_needs_two_patients(sample_series_dir: Path, tmp_path: Path, capsys):
    assert main([str(sample_series_dir), "--weights-dir", str(tmp_path)]) == 2
    assert "at least two" in capsys.readouterr().out


def test_lungview_train_dispatches_real_ct_tumour(sample_series_dir: Path, tmp_path: Path, capsys):
    from lungview.cli import main as cli_main

    argv = ["train", "real-ct-tumour", str(sample_series_dir), "--model-id", MODEL_ID, "--weights-dir", str(tmp_path)]
    assert cli_main(argv) == 2
    assert "at least two" in capsys.readouterr().out


def test_shipped_model_ranks_sample_tumour_slices_first(sample_series_dir: Path):
    if MODEL_ID not in list_model_ids():
        pytest.skip(f"{MODEL_ID} is not in weights/ yet")
    model = load_model(MODEL_ID)
    series = read_truth_series(sample_series_dir)
    picked = [0, 1, 2, 12, 14]  # InstanceNumber 4-6 (no tumour), 16 and 18 (tumour)
    probabilities = [p.cancer_probability for p in model.predict([series.images[i] for i in picked], has_hu=True)]
    assert min(probabilities[3:]) > max(probabilities[:3])
