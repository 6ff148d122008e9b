"""How well lesion findings match a patient's annotated tumour: slice, finding, location and size measures.

Per patient: slice AUC (bootstrap 95 % interval), sensitivity and specificity at the threshold (Wilson 95 %
intervals), whether the top finding is on the tumour, whether any finding is, the false findings, the share of
tumour slices whose finding's box centre lies in the tumour's box and the median box IoU there, the Dice of the
findings' masks with the tumour mask, and the long-axis error. Pooled: the FROC curve (tumours found against
false findings per scan) and the threshold for at most one false finding per scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lungview.detection.lesions import Lesion
from lungview.detection.measurements import axes_mm

#: False findings per scan at which the FROC curve is read.
FROC_POINTS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class ScoredCandidate:
    """A candidate's score, whether it lies on the tumour, and its patient."""

    patient: str
    score: float
    on_tumour: bool


def on_tumour(lesion: Lesion, truth: np.ndarray) -> bool:
    """Whether the candidate's mask overlaps the truth mask ``[z, rows, columns]`` on any slice it spans."""
    return any((s.full_mask(truth.shape[1:]) & truth[s.index]).any() for s in lesion.slices)


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(mask)
    return int(rows.min()), int(columns.min()), int(rows.max()), int(columns.max())


def box_iou(a: Sequence[int], b: Sequence[int]) -> float:
    """IoU of two inclusive (row0, col0, row1, col1) boxes."""
    rows = min(a[2], b[2]) - max(a[0], b[0]) + 1
    columns = min(a[3], b[3]) - max(a[1], b[1]) + 1
    overlap = max(rows, 0) * max(columns, 0)
    area = lambda box: (box[2] - box[0] + 1) * (box[3] - box[1] + 1)  # noqa: E731
    return overlap / float(area(a) + area(b) - overlap)


def centre_in(box: Sequence[int], truth: Sequence[int]) -> bool:
    row, column = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return truth[0] <= row <= truth[2] and truth[1] <= column <= truth[3]


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC (Mann-Whitney, ties count half); None without both classes."""
    labels, scores = np.asarray(labels, bool), np.asarray(scores, np.float64)
    positives, negatives = scores[labels], scores[~labels]
    if not len(positives) or not len(negatives):
        return None
    greater = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (positives[:, None] == negatives[None, :]).sum()
    return float(greater / (len(positives) * len(negatives)))


def auc_interval(labels: np.ndarray, scores: np.ndarray, rounds: int = 500, seed: int = 0) -> list[float] | None:
    """Bootstrap 95 % interval of the AUC, resampling slices within each class."""
    labels = np.asarray(labels, bool)
    positives, negatives = np.flatnonzero(labels), np.flatnonzero(~labels)
    if not len(positives) or not len(negatives):
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        rows = np.concatenate([rng.choice(positives, len(positives)), rng.choice(negatives, len(negatives))])
        values.append(auc(labels[rows], np.asarray(scores)[rows]))
    return [round(float(v), 3) for v in np.percentile(values, [2.5, 97.5])]


def wilson(successes: int, total: int, z: float = 1.96) -> list[float] | None:
    """Wilson score 95 % interval of a proportion; None for no trials."""
    if total == 0:
        return None
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return [round(float(centre - half), 3), round(float(centre + half), 3)]


def truth_long_axis(truth: np.ndarray, pixel_mm: tuple[float, float]) -> float | None:
    """The long axis (mm) of the truth mask on its largest axial slice."""
    areas = truth.sum(axis=(1, 2))
    if not areas.any():
        return None
    return axes_mm(truth[int(np.argmax(areas))], *pixel_mm)[0]


def evaluate_patient(
    name: str,
    truth: np.ndarray,
    pixel_mm: tuple[float, float],
    candidates: Sequence[Lesion],
    slice_scores: Sequence[float | None],
    threshold: float,
) -> dict:
    """The per-patient measures (module docstring) of ``candidates`` against the truth mask."""
    findings = [c for c in candidates if c.score >= threshold]
    hits = [on_tumour(f, truth) for f in findings]
    labels = truth.any(axis=(1, 2))
    scores = np.array([0.0 if s is None else s for s in slice_scores])
    flagged = scores >= threshold
    positives, negatives = int(labels.sum()), int((~labels).sum())
    true_positive, true_negative = int((flagged & labels).sum()), int((~flagged & ~labels).sum())
    inside, ious = [], []
    for index in np.flatnonzero(labels):
        truth_box = mask_box(truth[index])
        box = next((f.box_on(index) for f in findings if f.box_on(index) is not None), None)
        inside.append(box is not None and centre_in(box, truth_box))
        ious.append(box_iou(box, truth_box) if box is not None else 0.0)
    found = np.zeros(truth.shape, bool)
    for finding in findings:
        for s in finding.slices:
            found[s.index] |= s.full_mask(truth.shape[1:])
    dice = 2 * float((found & truth).sum()) / max(1.0, float(found.sum() + truth.sum()))
    best_hit = next((f for f, hit in zip(findings, hits) if hit), None)
    truth_axis = truth_long_axis(truth, pixel_mm)
    value = auc(labels, scores)
    return {
        "patient": name,
        "slices": int(len(labels)),
        "tumour_slices": positives,
        "slice_auc": None if value is None else round(value, 3),
        "slice_auc_ci": auc_interval(labels, scores),
        "sensitivity": round(true_positive / positives, 3) if positives else None,
        "sensitivity_ci": wilson(true_positive, positives),
        "specificity": round(true_negative / negatives, 3) if negatives else None,
        "specificity_ci": wilson(true_negative, negatives),
        "top_finding_on_tumour": bool(hits and hits[0]),
        "tumour_found": bool(any(hits)),
        "false_findings": int(len(hits) - sum(hits)),
        "findings": len(findings),
        "centre_in_tumour_box": round(float(np.mean(inside)), 3) if inside else None,
        "median_box_iou": round(float(np.median(ious)), 3) if ious else None,
        "dice": round(dice, 3),
        "truth_long_axis_mm": None if truth_axis is None else round(truth_axis, 1),
        "finding_long_axis_mm": None if best_hit is None else best_hit.long_axis_mm,
        "long_axis_error_mm": None
        if best_hit is None or truth_axis is None or best_hit.long_axis_mm is None
        else round(best_hit.long_axis_mm - truth_axis, 1),
    }


def false_findings_per_scan(candidates: Sequence[ScoredCandidate], threshold: float, scans: int) -> float:
    return sum(1 for c in candidates if c.score >= threshold and not c.on_tumour) / scans


def tumours_found(candidates: Sequence[ScoredCandidate], threshold: float, patients: Sequence[str]) -> float:
    found = {c.patient for c in candidates if c.score >= threshold and c.on_tumour}
    return len(found & set(patients)) / len(patients)


def froc(candidates: Sequence[ScoredCandidate], patients: Sequence[str]) -> list[dict]:
    """Sensitivity (share of patients whose tumour a finding hits) against false findings per scan, at every
    candidate score as threshold (highest first)."""
    curve = []
    for threshold in sorted({c.score for c in candidates}, reverse=True):
        curve.append(
            {
                "threshold": round(threshold, 4),
                "false_per_scan": round(false_findings_per_scan(candidates, threshold, len(patients)), 4),
                "sensitivity": round(tumours_found(candidates, threshold, patients), 4),
            }
        )
    return curve


def froc_at(curve: list[dict], false_per_scan: float) -> float:
    """The best sensitivity on ``curve`` with at most ``false_per_scan`` false findings per scan."""
    return max((p["sensitivity"] for p in curve if p["false_per_scan"] <= false_per_scan), default=0.0)


def threshold_for_false_findings(
    candidates: Sequence[ScoredCandidate], scans: int, floor: float, most: float = 1.0
) -> float:
    """The lowest threshold (not below ``floor``) with at most ``most`` false findings per scan."""
    for threshold in sorted({c.score for c in candidates if c.score >= floor}):
        if false_findings_per_scan(candidates, threshold, scans) <= most:
            return float(threshold)
    return 1.0
