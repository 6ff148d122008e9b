"""The report page (A4, PDF or PNG) drawn with matplotlib's Agg/PDF backends: no Qt, no pyplot state."""

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lungview import INTENDED_USE, __version__
from lungview.findings.atomic_file import written_atomically
from lungview.reports.content import SliceReport
from lungview.reports.overlay import blend_heatmap, legend_text
from lungview.reports.text import (
    NO_LUNG_RADS,
    OVERLAY_LABEL,
    confidence_rows,
    identifier_lines,
    model_lines,
    out_of_scope_line,
    result_lines,
    slice_lines,
)

PAGE_SIZE_INCHES = (8.27, 11.69)  # A4 portrait
PNG_DPI = 150
REPORT_FORMATS = (".pdf", ".png")
TITLE = "LungView — AI second-reader report"
MODEL_HEADING_Y = 0.235
MODEL_FONT_SIZE = 8
FOOTER_Y = 0.02
FOOTER_TOP = 0.04
"""Nothing above the footer's baseline comes lower than this (figure fraction): its 7 pt line plus a margin."""


@dataclass(frozen=True)
class RenderedReport:
    """A saved report page: its file, every text string drawn on it, and where the slice panels lie in a PNG."""

    path: Path
    texts: tuple[str, ...]
    panels: dict[str, tuple[int, int, int, int]]
    """Panel name (``slice``, ``overlay``) -> (left, top, right, bottom) in PNG pixels, top-left origin."""


def _pixel_aspect(report: SliceReport) -> float:
    """Height/width of one pixel on screen, from PixelSpacing (row, column) when known."""
    spacing = report.slice_ref.pixel_spacing
    return float(spacing[0] / spacing[1]) if spacing and spacing[1] else 1.0


def _draw_image(figure, box, image: np.ndarray, title: str, aspect: float):
    axes = figure.add_axes(box)
    axes.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255, aspect=aspect,
                interpolation="nearest")
    axes.set_title(title, fontsize=9)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_axis_off()
    return axes


def _draw_images(figure, report: SliceReport) -> dict:
    aspect = _pixel_aspect(report)
    if report.heatmap is None:
        plain = _draw_image(figure, [0.25, 0.50, 0.50, 0.33], report.image, "Slice as displayed", aspect)
        figure.text(0.5, 0.485, "No attention overlay was computed for this report.", ha="center", fontsize=8)
        return {"slice": plain}
    plain = _draw_image(figure, [0.04, 0.50, 0.45, 0.33], report.image, "Slice as displayed", aspect)
    overlay = _draw_image(
        figure,
        [0.51, 0.50, 0.45, 0.33],
        blend_heatmap(report.image, report.heatmap, report.overlay_opacity),
        f"Overlay: {OVERLAY_LABEL}",
        aspect,
    )
    legend = figure.add_axes([0.61, 0.485, 0.25, 0.010])
    ramp = np.linspace(0, 1, 256)[None, :]
    legend.imshow(blend_heatmap(np.full(ramp.shape, 128, np.uint8), ramp, 1.0), aspect="auto")  # over mid-grey
    legend.set_yticks([])
    legend.set_xticks([0, 255], ["low", "high"], fontsize=7)
    legend.set_xlabel(f"model attention (opacity up to {report.overlay_opacity:.0%}; {legend_text()})", fontsize=7,
                      labelpad=1)
    return {"slice": plain, "overlay": overlay}


def _draw_confidence(figure, report: SliceReport) -> float:
    """Draw the probabilities and the result lines; return the lowest baseline used (figure fraction)."""
    figure.text(0.04, 0.445, "Confidence (calibrated probabilities)", fontsize=10, weight="bold")
    if report.result is None:
        figure.text(0.04, 0.42, "No AI result for this slice.", fontsize=9)
        return 0.42
    rows = confidence_rows(report.result, report.model)
    axes = figure.add_axes([0.30, 0.44 - 0.025 * len(rows) - 0.01, 0.45, 0.025 * len(rows)])
    names = [name for name, _ in rows]
    values = [value for _, value in rows]
    colours = ["#b03a2e" if name == report.result.predicted else "#7f8c8d" for name in names]
    positions = np.arange(len(rows))[::-1]
    axes.barh(positions, values, color=colours, height=0.7)
    for position, value in zip(positions, values):
        axes.text(min(value, 0.85) + 0.02, position, f"{value:.3f}", va="center", fontsize=8)
    axes.set_yticks(positions, names, fontsize=8)
    axes.set_xlim(0, 1)
    axes.tick_params(axis="x", labelsize=7)
    bottom = 0.44 - 0.025 * len(rows) - 0.04
    lines = result_lines(report.result, report.model)
    for offset, line in enumerate(lines):
        figure.text(0.04, bottom - 0.018 * offset, line, fontsize=9)
    warning = out_of_scope_line(report.result)
    if warning:
        figure.text(0.04, bottom - 0.018 * len(lines), textwrap.shorten(warning, 150), fontsize=9, color="#8b0000",
                    weight="bold")
        return bottom - 0.018 * len(lines)
    return bottom - 0.018 * (len(lines) - 1)


def _line_step(fontsize: float) -> float:
    """Distance between two text lines of ``fontsize`` points, as a fraction of the page height."""
    return fontsize / 72 / PAGE_SIZE_INCHES[1] * 1.45


def _draw_text_block(figure, x: float, top: float, lines: list[str], fontsize: float = 8.5) -> float:
    """Draw ``lines`` from ``top`` downwards; return the height used (figure fraction)."""
    step = _line_step(fontsize)
    for offset, line in enumerate(lines):
        figure.text(x, top - step * offset, line, fontsize=fontsize, va="top")
    return step * len(lines)


def render_report_figure(report: SliceReport):
    """A matplotlib Figure of the report page, and the axes of its image panels by name."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=PAGE_SIZE_INCHES, dpi=PNG_DPI)
    figure.text(0.04, 0.975, TITLE, fontsize=14, weight="bold", va="top")
    figure.text(0.04, 0.948, INTENDED_USE, fontsize=10, color="#8b0000", va="top")
    _draw_text_block(figure, 0.04, 0.92, identifier_lines(report.series.patient, report.hide_identifiers))
    _draw_text_block(figure, 0.50, 0.92, slice_lines(report))
    panels = _draw_images(figure, report)
    confidence_bottom = _draw_confidence(figure, report)
    heading = min(MODEL_HEADING_Y, confidence_bottom - 0.03)
    figure.text(0.04, heading, "Model card summary", fontsize=10, weight="bold")
    # The card gets the lines that fit between its heading and the footer; model_lines says when it cut some.
    top, step = heading - 0.015, _line_step(MODEL_FONT_SIZE)
    fitting = int((top - FOOTER_TOP) / step) - 1  # one line for NO_LUNG_RADS
    model_text = model_lines(report.model, max_lines=max(fitting, 1)) if report.model else ["No model."]
    _draw_text_block(figure, 0.04, top, [*model_text, NO_LUNG_RADS], fontsize=MODEL_FONT_SIZE)
    figure.text(0.04, FOOTER_Y, f"Created {report.created_at} by LungView {__version__}. {INTENDED_USE}", fontsize=7)
    return figure, panels


def drawn_texts(figure) -> tuple[str, ...]:
    """Every visible non-empty text string on ``figure``: titles, labels, tick labels and free text."""
    from matplotlib.text import Text

    return tuple(
        artist.get_text() for artist in figure.findobj(Text) if artist.get_visible() and artist.get_text()
    )


def _panel_boxes(figure, panels: dict) -> dict[str, tuple[int, int, int, int]]:
    """Pixel boxes (left, top, right, bottom; top-left origin) of the image panels once the figure is drawn."""
    height = figure.bbox.height
    boxes = {}
    for name, axes in panels.items():
        extent = axes.get_window_extent()
        boxes[name] = (round(extent.x0), round(height - extent.y1), round(extent.x1), round(height - extent.y0))
    return boxes


def save_report(report: SliceReport, path: str | Path) -> RenderedReport:
    """Write the report page to ``path``: PDF (vector text, embedded TrueType fonts) or PNG, by extension.

    Raises
    ------
    ValueError
        If the extension is neither ``.pdf`` nor ``.png``.
    OSError
        If the file cannot be written.
    """
    import matplotlib

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in REPORT_FORMATS:
        raise ValueError(f"a report is saved as {' or '.join(REPORT_FORMATS)}, not {path.suffix or 'no extension'}")
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        figure, panels = render_report_figure(report)
        with written_atomically(path) as temporary:  # a full disk leaves an earlier report whole
            figure.savefig(temporary, format=suffix[1:], dpi=PNG_DPI)
    return RenderedReport(path, drawn_texts(figure), _panel_boxes(figure, panels))


def render_report_png(report: SliceReport, dpi: int = PNG_DPI) -> bytes:
    """The report page as PNG bytes (for printing or the clipboard)."""
    import io

    figure, _ = render_report_figure(report)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
