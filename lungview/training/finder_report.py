"""The report of the lesion-finding ``ct-tumour-slice``: ``report/report.md``, ``report.json`` and a findings gallery.

Every number comes from the training run (leave-one-patient-out over the real series); none is typed in.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from lungview.windowing import PRESETS, apply_window

#: The targets the figures are read against (median over held-out patients, share of patients for the top finding).
TARGETS = {"median_slice_auc": 0.90, "location_in_box": 0.60, "median_specificity": 0.90, "median_sensitivity": 0.80}


def plot_findings_gallery(gallery: list[dict], path: Path) -> None:
    """Per held-out series, the centre slice of its top finding: lung window, the finding's box, the tumour box."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    columns = max(1, len(gallery))
    fig, axes = plt.subplots(1, columns, figsize=(4.5 * columns, 4.8), squeeze=False)
    for axis, item in zip(axes[0], gallery):
        axis.imshow(apply_window(item["image"], PRESETS["lung"]), cmap="gray")
        if item["truth"] is not None:
            x0, y0, x1, y1 = item["truth"]
            axis.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="lime", linewidth=1.2))
        r0, c0, r1, c1 = item["box"]
        axis.add_patch(Rectangle((c0, r0), c1 - c0, r1 - r0, fill=False, edgecolor="red", linewidth=1.5))
        axis.set_title(f"{item['series']} slice {item['index']}\ntop finding {item['score']:.2f}", fontsize=9)
        axis.axis("off")
    title = "Held-out top findings (red: the finding's box; green: the tumour box, where the slice has one)"
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    if isinstance(value, list):
        return f"[{value[0]:.2f}, {value[1]:.2f}]"
    return str(value)


COLUMNS = (
    ("series", "held-out series"),
    ("slices", "slices"),
    ("tumour_slices", "tumour slices"),
    ("tumour_slice_auc", "slice AUC"),
    ("sensitivity", "sensitivity"),
    ("sensitivity_ci95", "95 % CI"),
    ("specificity", "specificity"),
    ("specificity_ci95", "95 % CI"),
    ("location_in_box", "location in box"),
    ("box_iou", "box IoU"),
    ("top_finding_on_tumour", "top finding on tumour"),
    ("tumour_found", "tumour found"),
    ("false_findings", "false findings"),
)


def lopo_table(per_patient: list[dict]) -> list[str]:
    """The leave-one-patient-out table as Markdown lines (the README and the report show the same)."""
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    return lines + ["| " + " | ".join(_cell(row[key]) for key, _ in COLUMNS) + " |" for row in per_patient]


def report_markdown(card, per_patient: list[dict]) -> str:
    """The report's Markdown: the leave-one-patient-out table, the pooled figures and the operating point."""
    pooled = card.metrics["pooled"]
    lines = [
        f"# {card.id} {card.version}: leave-one-patient-out evaluation",
        "",
        f"Threshold {card.threshold:.4f} ({card.metrics['operating_point']}); temperature {card.temperature:.3f}.",
        "A slice is flagged exactly when a finding at or above the threshold spans it. Location: the centre of the "
        "finding's box on that slice inside the tumour box (a tumour slice no finding spans counts as a miss).",
        "",
        *lopo_table(per_patient),
        "",
        f"Pooled over the held-out slices: sensitivity {pooled['sensitivity']:.3f} "
        f"{_cell(pooled['sensitivity_ci95'])}, specificity {pooled['specificity']:.3f} "
        f"{_cell(pooled['specificity_ci95'])}; median slice AUC "
        f"{pooled['median_tumour_slice_auc']:.3f}; median sensitivity {pooled['median_sensitivity']:.3f}, median "
        f"specificity {pooled['median_specificity']:.3f}; location in box {pooled['location_in_box']:.3f}; top finding "
        f"on the tumour in {pooled['top_finding_on_tumour']} patients. Finding level: the tumour found by a finding at "
        f"the threshold in {pooled['tumour_found']} patients, {pooled['false_findings_per_series']:.1f} false findings "
        "per series.",
        "",
        "Targets (on patients the model has never seen): "
        + ", ".join(f"{k} >= {v:.2f}" for k, v in TARGETS.items())
        + ".",
        "",
        "Reproduce: `lungview train real-ct-tumour ../shared/data/dicom --model-id ct-tumour-slice`.",
        "",
        "![Held-out top findings](findings_gallery.png)",
        "",
    ]
    return "\n".join(lines)


def write_finder_report(folder: Path, card, per_patient: list[dict], gallery: list[dict]) -> Path:
    """Write ``folder/report/`` (report.md, report.json, findings_gallery.png); returns the report folder."""
    report = Path(folder) / "report"
    report.mkdir(parents=True, exist_ok=True)
    (report / "report.md").write_text(report_markdown(card, per_patient), encoding="utf-8")
    document = {"leave_one_patient_out": per_patient, "pooled": card.metrics["pooled"], "threshold": card.threshold}
    (report / "report.json").write_text(json.dumps(document, indent=2, default=float) + "\n", encoding="utf-8")
    if gallery:
        plot_findings_gallery(gallery, report / "findings_gallery.png")
    return report


def gallery_item(samples, lesions) -> dict | None:
    """The top finding's centre slice of one held-out series, for the gallery (None without a finding)."""
    if not lesions:
        return None
    top = lesions[0]
    index = top.centre_index
    return {
        "series": samples.truth.name,
        "index": index,
        "score": top.score,
        "box": top.box_on(index),
        "truth": samples.truth.boxes[index],
        "image": np.asarray(samples.truth.images[index]),
    }
