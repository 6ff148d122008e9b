"""Every line of text a report draws, in one place, so what is shown (and what is hidden) can be checked."""

import textwrap

from lungview import INTENDED_USE
from lungview.reports.content import AiResult, ModelSummary, SliceReport
from lungview.volume import PatientIdentity
from lungview.windowing import Window

OVERLAY_LABEL = "model attention — not lesion location"
IDENTIFIERS_HIDDEN = "Patient identifiers hidden"
NO_LUNG_RADS = "The model gives no Lung-RADS category: that stays the reader's."
MAX_METRICS = 6


def format_dicom_date(value: str) -> str:
    """``YYYYMMDD`` (DICOM DA) as ``YYYY-MM-DD``; other text unchanged."""
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def identifier_lines(patient: PatientIdentity, hidden: bool) -> list[str]:
    """Patient name, ID and birth date, or one line saying they are hidden."""
    if hidden:
        return [IDENTIFIERS_HIDDEN]
    name = patient.name.replace("^", " ").strip() or "-"
    return [
        f"Patient: {name}",
        f"Patient ID: {patient.patient_id or '-'}",
        f"Birth date: {format_dicom_date(patient.birth_date) or '-'}",
    ]


def window_line(window: Window) -> str:
    """Window level (centre) and width."""
    return f"W/L: width {window.width:g}, level {window.center:g}"


def slice_lines(report: SliceReport) -> list[str]:
    """Series, slice position and window of the reported slice (no patient identifiers)."""
    series, slice_ref = report.series, report.slice_ref
    instance = f", instance {slice_ref.instance_number}" if slice_ref.instance_number is not None else ""
    return [
        f"Series: {series.modality or '-'} {series.description or '(no description)'}",
        f"Slice {report.slice_index + 1} of {len(series)}{instance}",
        window_line(report.window),
    ]


def confidence_rows(result: AiResult, model: ModelSummary | None) -> list[tuple[str, float]]:
    """(class, calibrated probability) in the model's class order."""
    order = list(model.classes) if model else sorted(result.probabilities)
    return [(name, float(result.probabilities[name])) for name in order if name in result.probabilities]


def out_of_scope_line(result: AiResult) -> str | None:
    """The warning that the slice is not what the model knows, or None."""
    if not result.out_of_scope:
        return None
    return "Out of scope for this model: " + "; ".join(result.out_of_scope)


def result_lines(result: AiResult, model: ModelSummary | None) -> list[str]:
    """Predicted class and the cancer probability against the model's threshold."""
    lines = [f"Predicted class: {result.predicted}"]
    if model is None:
        lines.append(f"Cancer probability: {result.cancer_probability:.2f}")
    else:
        side = "at or above" if result.cancer_probability >= model.threshold else "below"
        lines.append(
            f"Cancer probability: {result.cancer_probability:.2f} ({side} the model's threshold {model.threshold:.2f})"
        )
    return lines


def _scalar_metrics(metrics: dict) -> list[str]:
    """``name value`` for the first few numeric metrics of a model card."""
    scalars = [(name, value) for name, value in metrics.items() if isinstance(value, (int, float))]
    return [f"{name} {value:.3g}" for name, value in scalars[:MAX_METRICS]]


def model_lines(model: ModelSummary, width: int = 110, max_lines: int = 16) -> list[str]:
    """Model card summary: id, version, weights hash, intended use, limits, headline metrics.

    Wrapped to ``width`` characters and cut to ``max_lines`` lines (the last one then says the card has more).
    """
    paragraphs = [f"Model: {model.model_id} version {model.version}, weights SHA-256 {model.sha256[:16]}…"]
    if model.intended_use:
        paragraphs.append(f"Model's intended use: {model.intended_use}")
    paragraphs.extend(f"Limit: {limit}" for limit in model.limits)
    metrics = _scalar_metrics(model.metrics)
    if metrics:
        paragraphs.append("Test metrics: " + ", ".join(metrics))
    lines = [line for paragraph in paragraphs for line in textwrap.wrap(paragraph, width)]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], "… more in the full model card."]
    return lines


def burned_in_lines(report: SliceReport) -> list[str]:
    """The text burned into a DICOM Secondary Capture: ASCII, and never a patient identifier."""
    lines = [f"LungView AI second reader. {INTENDED_USE}"]
    if report.result is not None:
        model = f"{report.model.model_id} {report.model.version}: " if report.model else ""
        lines.append(f"{model}predicted {report.result.predicted}, cancer probability "
                     f"{report.result.cancer_probability:.2f}"
                     + (f" (threshold {report.model.threshold:.2f})" if report.model else ""))
        warning = out_of_scope_line(report.result)
        if warning:
            lines.append(warning.upper().replace("—", "-"))
    lines.append(f"{window_line(report.window)}  slice {report.slice_index + 1}/{len(report.series)}")
    if report.heatmap is not None:
        lines.append(f"Colour overlay: {OVERLAY_LABEL.replace('—', '-')}")
    return lines
