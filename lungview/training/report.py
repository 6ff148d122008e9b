"""The evaluation report next to a shipped model: ``report/report.md``, ``report.json``, PNG plots, manifest.

Every number in the report is measured here from the shipped weight file; none is typed in.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lungview.inference.classifier import SliceClassifier, load_classifier
from lungview.training.audit import AuditResult, write_manifest
from lungview.training.evaluation import evaluate_model, split_logits
from lungview.training.splits import DataSplit

if TYPE_CHECKING:
    from lungview.training.pipeline import TrainResult

GALLERY_SIZE = 8


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save_figure(path: Path, draw: Callable, height: float = 4.5) -> None:
    """A 10-inch-wide figure of two panels side by side, drawn by ``draw(axes)``, saved as ``path`` (80 dpi)."""
    plt = _figure()
    fig, axes = plt.subplots(1, 2, figsize=(10, height))
    draw(axes)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _save_panels(path: Path, names: tuple[str, str], panel: Callable) -> None:
    """One panel per split ``name``, drawn by ``panel(axis, name)``, saved as ``path``."""
    _save_figure(path, lambda axes: [panel(axis, name) for axis, name in zip(axes, names)])


def _plot_confusion(results: dict, classes, path: Path) -> None:
    short = [c.split(".")[0][:8] for c in classes]

    def panel(axis, name: str) -> None:
        matrix = np.array(results["splits"][name]["confusion_matrix"])
        axis.imshow(matrix, cmap="Blues")
        for (row, col), value in np.ndenumerate(matrix):
            axis.text(col, row, str(value), ha="center", va="center", color="black")
        axis.set_xticks(range(len(classes)), short, rotation=30)
        axis.set_yticks(range(len(classes)), short)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(f"{name} (n={results['splits'][name]['images']})")

    _save_panels(path, ("official_test", "dedup_test"), panel)


def _plot_roc(results: dict, path: Path) -> None:
    def panel(axis, name: str) -> None:
        for label, curve in results["splits"][name]["roc"].items():
            axis.plot(curve["fpr"], curve["tpr"], label=f"{label} (AUC {curve['auc']:.3f})")
        axis.plot([0, 1], [0, 1], "k:", linewidth=0.8)
        axis.set_xlabel("false positive rate")
        axis.set_ylabel("true positive rate")
        axis.set_title(f"one-vs-rest ROC, {name}")
        if results["splits"][name]["roc"]:
            axis.legend(fontsize=7, loc="lower right")

    _save_panels(path, ("official_test", "dedup_test"), panel)


def _plot_reliability(results: dict, path: Path) -> None:
    def panel(axis, name: str) -> None:
        for stage, marker in (("before", "o--"), ("after", "s-")):
            table = results["reliability"][name][stage]
            ece = results["calibration"][name][stage]["ece_15"]
            axis.plot(table["confidence"], table["accuracy"], marker, label=f"{stage} scaling (ECE {ece:.3f})")
        axis.plot([0, 1], [0, 1], "k:", linewidth=0.8)
        axis.set_xlabel("confidence (top-1, 15 bins)")
        axis.set_ylabel("accuracy")
        axis.set_title(f"reliability, {name}")
        axis.legend(fontsize=8)

    _save_panels(path, ("valid", "official_test"), panel)


def _plot_curves(histories: dict, path: Path) -> None:
    def draw(axes) -> None:
        for name, history in histories.items():
            axes[0].plot(history["train_loss"], label=f"{name} train")
            axes[0].plot(history["valid_loss"], "--", label=f"{name} valid")
            axes[1].plot(history["valid_macro_f1"], label=name)
        axes[0].set_title("loss (class-weighted CE / CE)")
        axes[1].set_title("validation macro-F1 (early stopping)")
        for axis in axes:
            axis.set_xlabel("epoch")
            axis.legend(fontsize=6)

    _save_figure(path, draw, height=4)


def _gallery_records(results: dict, classes, count: int) -> list[dict]:
    """Right and wrong test predictions, spread over the classes."""
    rows = results["test_predictions"]
    wrong = [r for r in rows if classes[int(np.argmax(r["probabilities"]))] != r["label"]]
    right = [r for r in rows if r not in wrong]
    picked = []
    for label in classes:
        picked += [r for r in right if r["label"] == label][:1]
    return (picked + wrong)[:count]


def _plot_samples(classifier: SliceClassifier, root: Path, rows: list[dict], path: Path, with_cam: bool) -> None:
    from lungview.models.preprocess import read_grey_image

    plt = _figure()
    columns = 4
    lines = math.ceil(len(rows) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(3 * columns, 3.2 * lines), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, row in zip(axes.flat, rows):
        image = read_grey_image(root / row["path"])
        axis.imshow(image, cmap="gray", vmin=0, vmax=255)
        predicted = classifier.card.classes[int(np.argmax(row["probabilities"]))]
        if with_cam:
            heatmap = classifier.cam(image, False, predicted)
            axis.imshow(heatmap, cmap="jet", alpha=0.35, vmin=0, vmax=1)
        axis.set_title(f"true {row['label'][:12]}\npred {predicted[:12]} {max(row['probabilities']):.2f}", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)


def _fp16_check(classifier: SliceClassifier, training: TrainResult, root: Path) -> dict:
    """Largest validation probability difference between the network at the end of training and the shipped file."""
    from lungview.training.calibration import softmax

    shipped = split_logits(classifier, training.split.valid, root)
    temperature = classifier.card.temperature
    difference = np.abs(softmax(shipped.logits, temperature) - softmax(training.valid_logits, temperature))
    return {
        "images": len(shipped.labels),
        "max_abs_probability_difference": float(difference.max()) if difference.size else 0.0,
    }


def _metric_line(metrics: dict, name: str) -> str:
    entry = metrics[name]
    ci = entry["ci95"] or [float("nan")] * 2
    return f"{entry['value']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def render_markdown(report: dict) -> str:
    """The report as Markdown: model card, targets, metrics side by side, calibration, plots."""
    card, ev = report["card"], report["evaluation"]
    official, dedup = ev["splits"]["official_test"], ev["splits"]["dedup_test"]
    lines = [
        f"# Model report: `{card['id']}` (version {card['version']})",
        "",
        f"**Intended use:** {card['intended_use']}",
        "",
        "## Model card",
        "",
        f"- Architecture: {card['architecture']}; starting weights: {card['pretrained_source']}",
        f"- Classes: {', '.join(card['classes'])}; cancer probability = {card['cancer_rule']}",
        f"- Temperature (fitted on {card['training'].get('temperature_fitted_on', 'validation logits')}): "
        f"{card['temperature']:.4f}; threshold (>= 98 % validation sensitivity): {card['threshold']:.4f}",
        f"- Preprocessing: `{json.dumps(card['preprocessing'])}`",
        f"- HU input: {card['hu_input']}",
        f"- Weight file SHA-256: `{card['sha256']}`",
        f"- Data: {card['data']['dataset']}",
        f"- Split: {card['data']['split_method']}",
        "",
        "| role | " + " | ".join(card["classes"]) + " |",
        "|---|" + "---|" * len(card["classes"]),
    ]
    for role, counts in card["data"]["counts"].items():
        lines.append(f"| {role} | " + " | ".join(str(counts[c]) for c in card["classes"]) + " |")
    lines += ["", "Known limits:", ""] + [f"- {limit}" for limit in card["limits"]]
    official_name = (
        "official test"
        if card["data"].get("layout") == "chest-ct-4class"
        else "test (grouped split, all files; no official split exists)"
    )
    lines += ["", "## Targets", ""]
    if official_name != "official test":
        lines += [
            "The accuracy and AUC targets are set for the 4-class official split; "
            "here `official_test` is this data set's grouped test split and the rows are for comparison.",
            "",
        ]
    lines += ["| target | measured | met |", "|---|---|---|"]
    lines += [
        f"| {row['target']} | {row['measured']:.3f} | {'yes' if row['met'] else '**no**'} |" for row in ev["targets"]
    ]
    lines += [
        "",
        "## Test metrics (95 % bootstrap CI)",
        "",
        f"| metric | {official_name} | de-duplicated test |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {_metric_line(official['metrics'], name)} | {_metric_line(dedup['metrics'], name)} |"
        for name in official["metrics"]
    ]
    lines += [f"| images | {official['images']} | {dedup['images']} |", ""]
    lines += [
        "Sensitivity and specificity: cancer vs not cancer at the shipped threshold; "
        "sensitivity_at_95_specificity: the best ROC operating point with specificity >= 0.95.",
        "",
        "### Per class",
        "",
    ]
    lines += [f"| class | {official_name}: P / R / F1 (n) | de-duplicated: P / R / F1 (n) |", "|---|---|---|"]
    for name in card["classes"]:
        a, b = official["per_class"][name], dedup["per_class"][name]
        lines.append(
            f"| {name} | {a['precision']:.3f} / {a['recall']:.3f} / {a['f1']:.3f} ({a['support']}) | "
            f"{b['precision']:.3f} / {b['recall']:.3f} / {b['f1']:.3f} ({b['support']}) |"
        )
    lines += [
        "",
        "## Calibration (temperature scaling)",
        "",
        "| split | ECE before | ECE after | NLL before | NLL after | Brier before | Brier after |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, values in ev["calibration"].items():
        b, a = values["before"], values["after"]
        lines.append(
            f"| {name} | {b['ece_15']:.3f} | {a['ece_15']:.3f} | {b['nll']:.3f} | {a['nll']:.3f} | "
            f"{b['brier']:.3f} | {a['brier']:.3f} |"
        )
    fit = card["training"].get("temperature_fit")
    if fit:
        b, a = fit["before"], fit["after"]
        lines.append(
            f"| temperature fit set ({fit['images']}) | {b['ece_15']:.3f} | {a['ece_15']:.3f} | "
            f"{b['nll']:.3f} | {a['nll']:.3f} | {b['brier']:.3f} | {a['brier']:.3f} |"
        )
        if "scores" in fit:
            lines += [
                "",
                "Held-out scores the recipe is chosen on "
                "(out-of-fold training logits + validation logits; test never read):",
                "",
                "| set | images | accuracy | macro-F1 |",
                "|---|---|---|---|",
            ]
            lines += [
                f"| {name} | {s['images']} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} |"
                for name, s in fit["scores"].items()
            ]
    if "training" in report:
        training = report["training"]
        lines += [
            "",
            "## Training",
            "",
            f"- Validation macro-F1 per stage-1 seed: {training['validation_macro_f1_per_seed']}; "
            f"kept seed {training['chosen_seed']}",
        ]
        lines += [f"- Timings (s): {json.dumps({k: round(v, 1) for k, v in training['timings_s'].items()})}"]
        lines += [
            "- Shipped weight file vs the fp32 network at the end of training (validation probabilities): "
            f"{json.dumps(training['fp16_check'])}"
        ]
    if "onnx" in report:
        lines += [f"- ONNX export vs PyTorch on the test images: {json.dumps(report['onnx'])}"]
    lines += ["", "## Plots", ""]
    lines += [f"![{name}]({name}.png)" for name in report["plots"]]
    lines += ["", "The Grad-CAM heatmap shows model attention, not lesion location.", ""]
    return "\n".join(lines)


def write_report(
    model_folder: Path,
    data_root: Path,
    split: DataSplit,
    audit: AuditResult,
    training: TrainResult | None = None,
    resamples: int = 1000,
) -> dict:
    """Evaluate the shipped model in ``model_folder`` and write ``report/`` beside it; returns the report dict."""
    classifier = load_classifier(model_folder.name, model_folder.parent, fast=False, backend="torch")
    folder = model_folder / "report"
    folder.mkdir(parents=True, exist_ok=True)
    write_manifest(audit, folder, split.roles())
    results = evaluate_model(classifier, split, data_root, resamples)
    report: dict = {"card": classifier.card.to_dict(), "evaluation": results, "plots": []}
    if training is not None:
        report["training"] = {
            **classifier.card.training,
            "histories": training.histories,
            "fp16_check": _fp16_check(classifier, training, data_root),
        }
        (folder / "training.json").write_text(json.dumps(report["training"], indent=1) + "\n", encoding="utf-8")
    elif (folder / "training.json").is_file():
        report["training"] = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    onnx_file = folder / "onnx_check.json"
    if onnx_file.is_file():
        report["onnx"] = json.loads(onnx_file.read_text(encoding="utf-8"))
    _plot_confusion(results, classifier.card.classes, folder / "confusion.png")
    _plot_roc(results, folder / "roc.png")
    _plot_reliability(results, folder / "reliability.png")
    report["plots"] = ["confusion", "roc", "reliability"]
    if "training" in report:
        _plot_curves(report["training"]["histories"], folder / "training_curves.png")
        report["plots"].append("training_curves")
    samples = _gallery_records(results, classifier.card.classes, GALLERY_SIZE)
    _plot_samples(classifier, data_root, samples, folder / "sample_predictions.png", with_cam=False)
    _plot_samples(classifier, data_root, samples, folder / "gradcam_gallery.png", with_cam=True)
    report["plots"] += ["sample_predictions", "gradcam_gallery"]
    (folder / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(render_markdown(report), encoding="utf-8")
    _store_metrics_in_card(model_folder, results)
    return report


def _store_metrics_in_card(model_folder: Path, results: dict) -> None:
    """Copy the headline metrics with CIs into ``card.json`` (the weight file and its SHA-256 are unchanged)."""
    from lungview.models.card import read_card, write_card

    card = read_card(model_folder)
    metrics = {
        name: results["splits"][name]["metrics"] | {"images": results["splits"][name]["images"]}
        for name in results["splits"]
    }
    metrics["calibration"] = results["calibration"]
    metrics["targets"] = results["targets"]
    write_card(model_folder, dataclasses.replace(card, metrics=metrics))
