"""CSV export of the findings log: one row per finding, the same values as stored."""

import csv
import json
from pathlib import Path

from lungview.findings.atomic_file import written_atomically
from lungview.findings.finding import Finding

CSV_COLUMNS: tuple[str, ...] = (
    "finding_id", "recorded_at", "study_uid", "series_uid", "sop_instance_uid", "slice_index", "source_path",
    "model_id", "model_version", "weights_sha256", "probabilities", "decision", "lung_rads", "note",
    "measurements",
)
"""Header of the exported file; ``probabilities`` is the stored JSON object, ``lung_rads`` empty when none,
``measurements`` a JSON list (kind, plane, slice_index, position, points, values) of the rulers and ROIs kept."""


def finding_as_row(finding: Finding) -> dict[str, str]:
    """The CSV row of ``finding``, every value as text."""
    r = finding.reviewed
    values = (
        finding.finding_id, finding.recorded_at, r.study_uid, r.series_uid, r.sop_instance_uid, r.slice_index,
        r.source_path, r.model_id, r.model_version, r.weights_sha256, json.dumps(r.probabilities, sort_keys=True),
        finding.decision, finding.lung_rads or "", finding.note,
        json.dumps([measurement.as_dict() for measurement in finding.measurements]),
    )
    return {column: str(value) for column, value in zip(CSV_COLUMNS, values)}


def export_findings_csv(findings: list[Finding], path: str | Path) -> int:
    """Write ``findings`` to a UTF-8 CSV file at ``path``, whole or not at all; return the number of rows written.

    Raises
    ------
    OSError
        If the file cannot be written (a file already at ``path`` is then left as it was).
    """
    with written_atomically(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(finding_as_row(finding) for finding in findings)
    return len(findings)
