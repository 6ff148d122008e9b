"""The report of ``ct-tumour-slice``: ``report/report.md``, ``report.json`` and a Grad-CAM gallery PNG.

Every number comes from the training run (leave-one-patient-out over the real series); none is typed in.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lungview.windowing import PRESETS, apply_window

if TYPE_CHECKING:
    from lungview.training.tumour_slice import TumourSliceResult

TARGET_AUC = 0.85
TARGET_CAM = 0.60


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_cam_gallery(gallery: list[dict], path: Path) -> None:
    """One tumour slice per held-out series: lung window, Grad-CAM overlay and the tumour box."""
    from matplotlib.patches import Rectangle

    plt = _figure()
    fig, axes = plt.subplots(1, max(1, len(gallery)), figsize=(4.5 * max(1, len(gallery)), 4.8), squeeze=False)
    for axis, item in zip(axes[0], gallery):
        axis.imshow(apply_window(item["image"], PRESETS["lung"]), cmap="gray")
        axis.imshow(item["heatmap"], cmap="jet", alpha=0.35, vmin=0, vmax=1)
        x0, y0, x1, y1 = item["box"]
        axis.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="lime", linewidth=1.5))
        row, column = np.unravel_index(int(np.argmax(item["heatmap"])), item["heatmap"].shape)
        axis.plot(column, row, "w+", markersize=14, markeredgewidth=2)
        axis.set_title(f"{item['series']} slice {item['slice'] + 1} (held out)", fontsize=9)
        axis.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _cell(value: float, target: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.2f}" + ("" if value >= target else " (below target)")


def render_markdown(card: dict) -> str:
    """The report as Markdown from the card's fields."""
    rows = card["metrics"]["leave_one_patient_out"]
    lines = [
        f"# {card['id']} — real-CT tumour-slice model",
        "",
        f"Version {card['version']} · architecture `{card['architecture']}` · weights sha256 `{card['sha256']}`",
        "",
        f"**Intended use:** {card['intended_use']} It ranks the slices of a real CT series so the tumour slices come "
        "first and shows, with Grad-CAM, which cells drove its score: model attention, not lesion location (see the "
        "CAM column below). `ct-subtype-4` still names the subtype.",
        "",
        "## Leave-one-patient-out (never a slice of the held-out patient in training)",
        "",
        f"Targets: tumour-slice AUC ≥ {TARGET_AUC}, "
        f"CAM peak inside the tumour box on ≥ {TARGET_CAM:.0%} of tumour slices.",
        "",
        "| held-out series | collection | slices | tumour slices | tumour-slice AUC | CAM peak in box |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['series']} | {row['collection']} | {row['slices']} | {row['tumour_slices']} | "
            f"{_cell(row['tumour_slice_auc'], TARGET_AUC)} | {_cell(row['cam_peak_in_box'], TARGET_CAM)} |"
        )
    replaced = card["metrics"].get("replaced_version")
    if replaced:
        lines += ["", f"The version it replaced ({replaced['version']}), same leave-one-patient-out protocol:", ""]
        lines += ["| held-out series | tumour-slice AUC | CAM peak in box |", "|---|---|---|"]
        lines += [
            f"| {row['series']} | {row['tumour_slice_auc']:.3f} | {row['cam_peak_in_box']:.2f} |"
            for row in replaced["leave_one_patient_out"]
        ]
    lines += [
        "",
        f"Pooled out-of-fold AUC over all slices: {card['metrics']['pooled_out_of_fold_auc']:.3f}. "
        f"Temperature {card['temperature']:.3f} and threshold {card['threshold']:.3f} (P(tumour)) were fitted on the "
        "out-of-fold scores.",
        "",
        "![Grad-CAM on one held-out tumour slice per series](cam_gallery.png)",
        "",
        "What was tried before this design, with its figures: [research.md](research.md).",
        "",
        "## How it works",
        "",
        f"- Input: {card['hu_input']}",
        f"- Backbone: EfficientNet-Lite0, frozen; pretrained source: {card['pretrained_source']}.",
    ]
    lines += [
        f"- {key.replace('_', ' ').capitalize()}: {value}"
        for key, value in card["training"].items()
        if key != "timings_s"
    ]
    lines += ["", "## Data (attribution)", ""]
    for item in card["data"]["series"]:
        lines.append(f"- `{item['series']}` — {item['collection']}, {item['licence']}. {item['citation']}")
    lines += [
        f"- Tumour rule: {card['data']['tumour_rule']}.",
        f"- Not used: {card['data']['not_used']}.",
        "",
        "## Limits",
        "",
    ]
    lines += [f"- {limit}" for limit in card["limits"]]
    lines += ["", "## Notes", ""] + [f"- {note}" for note in card["notes"]]
    return "\n".join(lines) + "\n"


def write_tumour_slice_report(model_folder: Path, result: TumourSliceResult) -> Path:
    """Write ``report/report.md``, ``report/report.json`` and ``report/cam_gallery.png``; return the report folder."""
    folder = Path(model_folder) / "report"
    folder.mkdir(parents=True, exist_ok=True)
    card = result.card.to_dict()
    plot_cam_gallery(result.gallery, folder / "cam_gallery.png")
    (folder / "report.json").write_text(json.dumps(card["metrics"], indent=2) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(render_markdown(card), encoding="utf-8")
    return folder
