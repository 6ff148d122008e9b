import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from report_fixtures import ATTENTION_PEAK, PATIENT, identifying_strings

from lungview import INTENDED_USE
from lungview.reports import OVERLAY_LABEL, save_report
from lungview.reports.overlay import blend_heatmap
from lungview.reports.text import burned_in_lines


def pdf_text(path) -> str:
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def panel_pixel(png: np.ndarray, box, shape, row: int, column: int) -> np.ndarray:
    """The PNG pixel showing slice pixel (row, column) inside a panel box (left, top, right, bottom)."""
    left, top, right, bottom = box
    x = left + (column + 0.5) / shape[1] * (right - left)
    y = top + (row + 0.5) / shape[0] * (bottom - top)
    return png[int(y), int(x)].astype(int)


def test_pdf_parses_and_holds_every_part_of_the_report(make_report, tmp_path):
    rendered = save_report(make_report(), tmp_path / "report.pdf")
    text = pdf_text(rendered.path)
    for expected in (INTENDED_USE, OVERLAY_LABEL, "Patient: Doe Jane", PATIENT.patient_id, "1945-03-17",
                     "W/L: width 1500, level -600", "fake-3 version 0.9.1", "adenocarcinoma", "0.700",
                     "Cancer probability: 0.80", "threshold 0.50", "Tests only.", "Not trained."):
        assert expected in text


def test_png_shows_the_slice_plain_and_with_the_overlay_on_the_attention_peak(make_report, tmp_path):
    report = make_report()
    rendered = save_report(report, tmp_path / "report.png")
    with Image.open(rendered.path) as image:
        png = np.asarray(image.convert("RGB"))
    assert set(rendered.panels) == {"slice", "overlay"}
    plain = panel_pixel(png, rendered.panels["slice"], report.image.shape, *ATTENTION_PEAK)
    overlaid = panel_pixel(png, rendered.panels["overlay"], report.image.shape, *ATTENTION_PEAK)
    assert plain.max() - plain.min() <= 2  # grey
    expected = blend_heatmap(report.image, report.heatmap, report.overlay_opacity)[ATTENTION_PEAK].astype(int)
    assert np.abs(overlaid - expected).max() <= 6
    assert overlaid[0] - overlaid[2] > 40  # red-ish: high attention in the jet colour map
    assert f"Overlay: {OVERLAY_LABEL}" in rendered.texts


def test_report_without_heatmap_has_one_plain_panel(make_report, tmp_path):
    rendered = save_report(make_report(with_cam=False), tmp_path / "report.png")
    assert set(rendered.panels) == {"slice"}
    assert not any(OVERLAY_LABEL in text for text in rendered.texts)


def test_hidden_identifiers_are_drawn_nowhere(make_report, tmp_path):
    rendered = save_report(make_report(hide_identifiers=True), tmp_path / "report.pdf")
    drawn = " ".join(rendered.texts) + " " + pdf_text(rendered.path)
    assert "Patient identifiers hidden" in drawn
    for identifier in identifying_strings(PATIENT):
        assert identifier not in drawn


def test_unknown_extension_is_refused(make_report, tmp_path):
    with pytest.raises(ValueError, match=r"\.pdf or \.png"):
        save_report(make_report(), tmp_path / "report.jpg")


def test_out_of_scope_reasons_are_on_the_page_and_burned_in(make_report, tmp_path):
    report = make_report(out_of_scope=("not CT", "pixel spacing 3.1 mm"))
    rendered = save_report(report, tmp_path / "report.png")
    assert "Out of scope for this model: not CT; pixel spacing 3.1 mm" in rendered.texts
    assert "OUT OF SCOPE FOR THIS MODEL: NOT CT; PIXEL SPACING 3.1 MM" in burned_in_lines(report)


def test_blend_leaves_the_slice_untouched_where_attention_is_low():
    grey = np.full((4, 4), 90, np.uint8)
    heatmap = np.zeros((4, 4), np.float32)
    heatmap[0, 0] = 1.0
    blended = blend_heatmap(grey, heatmap, 0.4)
    assert (blended[1:, :] == 90).all() and (blended[0, 1:] == 90).all()
    assert tuple(blended[0, 0]) != (90, 90, 90)


def _text_boxes(figure) -> list[tuple[str, object]]:
    """(text, window extent) of every visible text on ``figure`` once drawn."""
    from matplotlib.text import Text

    renderer = figure.canvas.get_renderer()
    return [
        (artist.get_text(), artist.get_window_extent(renderer))
        for artist in figure.findobj(Text)
        if artist.get_visible() and artist.get_text().strip()
    ]


@pytest.mark.parametrize("limits", [1, 8, 40])
def test_no_text_overlaps_whatever_the_model_cards_length(make_report, limits):
    import dataclasses

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from lungview.reports.page import render_report_figure

    report = make_report(out_of_scope=("dark image",))
    long_limit = "The model was trained on few scanners and may fail on images unlike its training data, " * 2
    model = dataclasses.replace(report.model, limits=tuple(f"{number}. {long_limit}" for number in range(limits)))
    figure, _ = render_report_figure(dataclasses.replace(report, model=model))
    FigureCanvasAgg(figure).draw()
    boxes = _text_boxes(figure)
    assert any(text.startswith("Created ") for text, _ in boxes)
    page = figure.bbox
    for index, (text, box) in enumerate(boxes):
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, text
        for other, other_box in boxes[index + 1 :]:
            assert not box.overlaps(other_box), (text, other)
