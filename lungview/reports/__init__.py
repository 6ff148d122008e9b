"""Reports of one slice: the PDF/PNG page, the DICOM Secondary Capture, and the text both draw. No Qt here."""

from lungview.reports.build import build_slice_report
from lungview.reports.content import AiResult, AiSnapshot, ModelSummary, SliceReport
from lungview.reports.page import REPORT_FORMATS, RenderedReport, render_report_png, save_report
from lungview.reports.secondary_capture import (
    SecondaryCaptureError,
    build_secondary_capture,
    write_secondary_capture,
)
from lungview.reports.text import OVERLAY_LABEL

__all__ = [
    "AiResult",
    "AiSnapshot",
    "ModelSummary",
    "OVERLAY_LABEL",
    "REPORT_FORMATS",
    "RenderedReport",
    "SecondaryCaptureError",
    "SliceReport",
    "build_secondary_capture",
    "build_slice_report",
    "render_report_png",
    "save_report",
    "write_secondary_capture",
]
