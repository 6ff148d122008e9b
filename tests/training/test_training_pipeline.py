"""End to end on a miniature data set: train -> shipped model with card and report -> evaluate -> ONNX."""

import json

import numpy as np

from lungview.cli import main
from lungview.inference.classifier import load_classifier
from lungview.models import list_model_ids, load_model
from tests.training.conftest import synthetic_slice


def _tiny_cnn_arguments(data, sizes=("32",), seeds=("0", "1"), stage1_epochs="5", bootstrap="5") -> list[str]:
    """``lungview train`` arguments for a tiny CNN on the miniature data set (seconds, not minutes)."""
    return ["train", "chest-ct-4class", str(data), "--model-id", "mini", "--architecture", "tiny-cnn",
            "--size", *sizes, "--seeds", *seeds, "--views", "2", "--stage1-epochs", stage1_epochs,
            "--stage2-epochs", "2", "--bootstrap", bootstrap]  # fmt: skip


def test_train_evaluate_and_export_a_tiny_model(mini_chest_ct, tmp_path, capsys):
    weights = tmp_path / "weights"
    common = ["--weights-dir", str(weights)]
    status = main([*_tiny_cnn_arguments(mini_chest_ct, stage1_epochs="40", bootstrap="20"), *common])
    assert status == 0
    assert list_model_ids(weights) == ["mini"]
    model = load_model("mini", weights)
    card = model.card
    assert card.classes[-1] == "normal" and card.cancer_rule == "1 - P(normal)"
    assert card.data["counts"]["train"]["normal"] == 5  # the train image copied into test is left out
    assert card.data["counts"]["test_dedup"]["normal"] == 3
    assert set(card.metrics) >= {"official_test", "dedup_test", "calibration", "targets"}
    report = weights / "mini" / "report"
    for name in (
        "report.md",
        "report.json",
        "manifest.csv",
        "audit.json",
        "confusion.png",
        "gradcam_gallery.png",
        "training_curves.png",
    ):
        assert (report / name).is_file(), name
    assert "de-duplicated test" in (report / "report.md").read_text(encoding="utf-8")
    fp16 = json.loads((report / "training.json").read_text())["fp16_check"]
    assert fp16["max_abs_probability_difference"] < 1e-2

    classifier = load_classifier("mini", weights, fast=False, backend="torch")
    (classified,) = classifier.classify([synthetic_slice(0, 999).astype(np.float32)], has_hu=False)
    prediction = classified.prediction
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-5

    assert main(["evaluate", "mini", str(mini_chest_ct), "--bootstrap", "20", *common]) == 0
    onnx_path = tmp_path / "mini.onnx"
    assert main(["export-onnx", "mini", str(mini_chest_ct), "--output", str(onnx_path), *common]) == 0
    assert json.loads((report / "onnx_check.json").read_text())["passed"]
    assert "passed" in capsys.readouterr().out


def test_train_reports_a_missing_folder(tmp_path, capsys):
    assert main(["train", "iqothnccd", str(tmp_path / "absent"), "--model-id", "x"]) == 2
    assert "no data set folder" in capsys.readouterr().err


def test_train_options_for_averaged_heads_cosine_stage2_and_out_of_fold_temperature(mini_chest_ct, tmp_path, capsys):
    weights = tmp_path / "weights"
    cache = tmp_path / "cache"
    arguments = [*_tiny_cnn_arguments(mini_chest_ct), "--top-start", "1", "--stage2-schedule", "cosine",
                 "--seed-merge", "average", "--calibration-folds", "2", "--cache-dir", str(cache),
                 "--weights-dir", str(weights)]  # fmt: skip
    assert main(arguments) == 0
    training = load_model("mini", weights).card.training
    assert training["stage2"]["schedule"] == "cosine" and training["stage2"]["trained"].startswith("features[1:]")
    assert training["seed_merge"].startswith("stage-1 heads of all seeds averaged")
    assert training["temperature_fitted_on"].startswith("out-of-fold")
    assert "out_of_fold_s" in training["timings_s"]
    fit = training["temperature_fit"]
    assert fit["images"] == sum(
        load_model("mini", weights).card.data["counts"][role][name]
        for role in ("train", "valid")
        for name in ("normal", "adenocarcinoma", "large.cell.carcinoma", "squamous.cell.carcinoma")
    )
    # the temperature minimises the NLL of the set it was fitted on
    assert fit["after"]["nll"] <= fit["before"]["nll"] + 1e-9
    assert "temperature fit set" in (weights / "mini" / "report" / "report.md").read_text(encoding="utf-8")
    scores = fit["scores"]
    assert scores["all"]["images"] == fit["images"] == scores["out_of_fold"]["images"] + scores["valid"]["images"]
    assert scores["valid"]["images"] == sum(load_model("mini", weights).card.data["counts"]["valid"].values())
    mixed = (
        scores["out_of_fold"]["accuracy"] * scores["out_of_fold"]["images"]
        + scores["valid"]["accuracy"] * scores["valid"]["images"]
    ) / fit["images"]
    assert abs(scores["all"]["accuracy"] - mixed) < 1e-9
    assert "held-out out_of_fold" in capsys.readouterr().out
    report_text = (weights / "mini" / "report" / "report.md").read_text(encoding="utf-8")
    assert "Held-out scores the recipe is chosen on" in report_text
    assert len(list(cache.glob("trunk-*.pt"))) == 2


def test_several_sizes_train_and_ship_a_resolution_ensemble(mini_chest_ct, tmp_path, capsys):
    weights = tmp_path / "weights"
    arguments = [*_tiny_cnn_arguments(mini_chest_ct, sizes=("48", "32"), seeds=("0",)), "--calibration-folds", "2",
                 "--cache-dir", str(tmp_path / "cache"), "--weights-dir", str(weights)]  # fmt: skip
    assert main(arguments) == 0
    model = load_model("mini", weights)
    card = model.card
    assert card.architecture == "tiny-cnn-sizes-32-48" and card.preprocessing.size == 48
    assert set(card.training["chosen_seed"]) == {"32", "48"}
    assert {"32px_out_of_fold_s", "48px_out_of_fold_s"} <= set(card.training["timings_s"])
    assert any("resolution ensemble of 2 networks" in note for note in card.notes)
    histories = json.loads((weights / "mini" / "report" / "training.json").read_text())["histories"]
    assert {"32px stage1_seed0", "48px stage2"} <= set(histories)
    assert len(list((tmp_path / "cache").glob("trunk-*.pt"))) == 4  # train and valid activations of each member
    classifier = load_classifier("mini", weights, fast=False, backend="torch")
    (classified,) = classifier.classify([synthetic_slice(1, 999).astype(np.float32)], has_hu=False)
    prediction = classified.prediction
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-5
    assert "held-out all" in capsys.readouterr().out
