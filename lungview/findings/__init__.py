"""The reviewer's findings log (SQLite, crash-safe) and its CSV export. No Qt here."""

from lungview.findings.csv_export import CSV_COLUMNS, export_findings_csv, finding_as_row
from lungview.findings.finding import (
    DECISIONS,
    Finding,
    FindingLocation,
    ReviewedSlice,
    reviewed_slice,
    validate_decision,
)
from lungview.findings.lung_rads import LUNG_RADS_BASE_CATEGORIES, LUNG_RADS_CATEGORIES, validate_lung_rads
from lungview.findings.measurement import Measurement
from lungview.findings.navigation import locate_finding
from lungview.findings.store import FindingsError, FindingsLog, default_findings_path

__all__ = [
    "CSV_COLUMNS",
    "DECISIONS",
    "Finding",
    "FindingLocation",
    "FindingsError",
    "FindingsLog",
    "LUNG_RADS_BASE_CATEGORIES",
    "LUNG_RADS_CATEGORIES",
    "Measurement",
    "ReviewedSlice",
    "default_findings_path",
    "export_findings_csv",
    "finding_as_row",
    "locate_finding",
    "reviewed_slice",
    "validate_decision",
    "validate_lung_rads",
]
