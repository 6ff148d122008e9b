"""The lesion model's report: ``report/report.md``, ``report.json``, the FROC plot and a held-out findings gallery."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lungview.training.lesion_evaluation import FROC_POINTS, froc_at

COLUMNS = (
    ("patient", "patient"),
    ("slice_auc", "slice AUC"),
    ("sensitivity", "sensitivity"),
    ("specificity", "specificity"),
    ("top_finding_on_tumour", "top finding on tumour"),
    ("tumour_found", "tumour found"),
    ("false_findings", "false findings"),
    ("centre_in_tumour_box", "box centre in tumour box"),
    ("median_box_iou", "median box IoU"),
    ("dice", "Dice"),
    ("long_axis_error_mm", "long-axis error (mm)"),
)


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    interval = row.get(f"{key}_ci")
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = f"{value:.3g}" if isinstance(value, float) else str(value)
    return f"{text} ({interval[0]:.2f}–{interval[1]:.2f})" if interval else text


def lopo_table(per_patient: list[dict]) -> list[str]:
    """The leave-one-patient-out table as Markdown lines."""
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(row, key) for key, _ in COLUMNS) + " |" for row in per_patient]
    return lines


def summary(per_patient: list[dict], curve: list[dict]) -> dict:
    """The pooled figures the issue's targets name, over the patients."""

    def median(key: str) -> float | None:
        values = [row[key] for row in per_patient if row.get(key) is not None]
        return round(float(np.median(values)), 3) if values else None

    count = len(per_patient)
    return {
        "patients": count,
        "top_finding_on_tumour": sum(row["top_finding_on_tumour"] for row in per_patient),
        "tumour_found": sum(row["tumour_found"] for row in per_patient),
        "false_findings_per_scan": round(sum(row["false_findings"] for row in per_patient) / count, 3),
        "centre_in_tumour_box": round(
            float(np.mean([row["centre_in_tumour_box"] or 0.0 for row in per_patient])), 3
        ),
        "median_box_iou": median("median_box_iou"),
        "median_slice_auc": median("slice_auc"),
        "median_sensitivity": median("sensitivity"),
        "median_specificity": median("specificity"),
        "median_dice": median("dice"),
        "median_abs_long_axis_error_mm": median_abs([r["long_axis_error_mm"] for r in per_patient]),
        "froc": {str(point): froc_at(curve, point) for point in FROC_POINTS},
    }


def median_abs(values: list[float | None]) -> float | None:
    """The median of the absolute values that are not None (None when there are none)."""
    present = [abs(v) for v in values if v is not None]
    return round(float(np.median(present)), 1) if present else None


def plot_froc(designs: dict[str, list[dict]], path: Path) -> None:
    """Tumours found against false findings per scan (log scale, 0.125-8), one line per design."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 4), dpi=110)
    for name, curve in designs.items():
        axes.plot(FROC_POINTS, [froc_at(curve, point) for point in FROC_POINTS], marker="o", label=name)
    axes.set_xscale("log", base=2)
    axes.set_xticks(FROC_POINTS, [str(p) for p in FROC_POINTS])
    axes.set_xlabel("false findings per scan")
    axes.set_ylabel("patients whose tumour a finding hits")
    axes.set_ylim(0, 1.02)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title("FROC, leave one patient out (9 patients)")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def write_report(folder: Path, card, designs: dict[str, dict], shipped: str, gallery: list[dict]) -> Path:
    """Write ``folder/report/`` (Markdown, JSON, FROC plot, gallery) and return the Markdown path."""
    report = folder / "report"
    report.mkdir(parents=True, exist_ok=True)
    plot_froc({name: design["froc"] for name, design in designs.items()}, report / "froc.png")
    if gallery:
        plot_gallery(gallery, report / "gallery.png")
    chosen = designs[shipped]
    lines = [
        f"# {card.id} {card.version}: lesion segmentation, leave one patient out",
        "",
        "Every figure is out of fold: each patient's maps come from a decoder trained without that patient (and "
        "without any synthetic sample carrying its tumour). Calibration and threshold were fitted on the pooled "
        f"out-of-fold candidates of the shipped design ({shipped}); threshold {card.threshold:.3f} "
        "(at most one false finding per scan).",
        "",
        "## Per patient (shipped design)",
        "",
        *lopo_table(chosen["per_patient"]),
        "",
        "Intervals: Wilson 95 % for sensitivity and specificity, bootstrap 95 % (slices) for the AUC.",
        "",
        "## Pooled",
        "",
        "```json",
        json.dumps(chosen["summary"], indent=2),
        "```",
        "",
        "## Designs compared on the same nine patients",
        "",
        "| design | top finding on tumour | tumour found | false findings / scan | median slice AUC | median Dice |",
        "|---|---|---|---|---|---|",
    ]
    for name, design in designs.items():
        s = design["summary"]
        lines.append(
            f"| {name}{' (shipped)' if name == shipped else ''} | {s['top_finding_on_tumour']}/{s['patients']} | "
            f"{s['tumour_found']}/{s['patients']} | {s['false_findings_per_scan']} | {s['median_slice_auc']} | "
            f"{s['median_dice']} |"
        )
    lines += ["", "![FROC](froc.png)", ""]
    if gallery:
        lines += ["## Held-out findings", "", "![gallery](gallery.png)", ""]
    lines += [
        "Reproduce: `lungview train real-ct-lesions ../shared/data/dicom --model-id ct-lesion-seg`.",
        "",
    ]
    path = report / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    (report / "report.json").write_text(
        json.dumps({"shipped": shipped, "designs": designs}, indent=2) + "\n", encoding="utf-8"
    )
    return path


def plot_gallery(gallery: list[dict], path: Path) -> None:
    """One tile per patient: the held-out slice where the tumour is largest (lung window), the truth outline in
    green and the out-of-fold finding outlines in orange (the top finding labelled)."""
    import cv2

    tiles = []
    for item in gallery:
        grey = np.clip((item["hu"] + 1350.0) / 1500.0 * 255.0, 0, 255).astype(np.uint8)
        tile = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
        for mask, colour in ((item["truth"], (0, 200, 0)), (item["found"], (0, 140, 255))):
            contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(tile, contours, -1, colour, 2)
        tile = cv2.resize(tile, (320, 320), interpolation=cv2.INTER_AREA)
        cv2.putText(tile, item["title"], (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    while len(tiles) % 3:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i : i + 3]) for i in range(0, len(tiles), 3)]
    cv2.imwrite(str(path), np.vstack(rows))
