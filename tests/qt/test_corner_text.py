"""Corner texts never overlap, whatever the layout and window size; 1×3 falls back to 2×2 in a narrow grid."""

import itertools

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

from lungview.qt.events import process_events
from lungview.qt.view_text import CORNERS, layout_corners

LONG_DESCRIPTION = "CT  Thorax 1.0 B70f lung kernel, inspiration, contrast arterial phase (follow-up protocol)"


def _clashes(rects: dict[str, QRectF]) -> list[tuple[str, str]]:
    shown = {corner: rect for corner, rect in rects.items() if not rect.isEmpty()}
    return [(a, b) for a, b in itertools.combinations(shown, 2) if shown[a].intersects(shown[b])]


@pytest.mark.parametrize("layout", ["1x1", "1x3", "2x2"])
@pytest.mark.parametrize("size", [(640, 480), (1600, 1000)])
def test_corner_texts_of_every_view_stay_apart(qtbot, mpr_window, layout, size):
    window = mpr_window
    window.resize(*size)
    window.set_layout(layout)
    for _ in range(3):  # let the layouts settle at the new size
        process_events()
    views = [view for view in window.mpr.views.values() if view.isVisible()]
    assert views
    axial = window.view
    axial.set_corner_text("top_right", [LONG_DESCRIPTION, *axial.corner_text("top_right")[1:]])
    for view in views:
        rects = view.corner_text_rects()
        assert _clashes(rects) == [], (view.objectName(), view.size(), rects)
        inside = QRectF(view.rect())
        assert all(inside.contains(rect) for rect in rects.values() if not rect.isEmpty())
    assert not axial.corner_text_rects()["top_left"].isEmpty()  # the patient's identity is still shown


def _shows_a_prefix(shown: tuple[str, ...], lines: list[str]) -> bool:
    """``shown`` are the first lines of ``lines``, each whole or cut short with "…"."""
    return len(shown) <= len(lines) and all(
        line == original or (line.endswith("…") and original.startswith(line[:-1]))
        for line, original in zip(shown, lines)
    )


def test_a_tiny_view_stacks_shortens_and_drops_the_least_important_lines():
    metrics = QFontMetricsF(QFont("Monospace", 10))
    text = {
        "top_left": ["Name", "ID 12", "born 1950-01-01"],
        "top_right": [LONG_DESCRIPTION, "Slice 16/30", "z -209.0 mm", "Thickness 5 mm"],
        "bottom_left": ["W 1500  L -600", "Zoom 64%"],
        "bottom_right": ["LungView 0.1.0"],
    }
    blocks = layout_corners(QRectF(0, 0, 200, 150), metrics, text)
    assert _clashes({corner: block.rect for corner, block in blocks.items()}) == []
    assert all(_shows_a_prefix(blocks[corner].lines, text[corner]) for corner in CORNERS)
    assert blocks["top_left"].lines == tuple(text["top_left"])  # the identity is dropped last
    assert blocks["bottom_right"].lines == ()  # the version goes first
    assert blocks["top_right"].lines[0].endswith("…")  # too long for the view
    assert blocks["top_right"].rect.top() >= blocks["top_left"].rect.bottom()  # moved below the identity
    roomy = layout_corners(QRectF(0, 0, 1600, 1000), metrics, text)
    assert all(list(roomy[corner].lines) == text[corner] for corner in CORNERS)
    assert roomy["top_right"].rect.top() == roomy["top_left"].rect.top()  # side by side


def test_the_1x3_layout_is_arranged_2x2_in_a_narrow_grid(qtbot, mpr_window):
    grid = mpr_window.mpr.grid
    mpr_window.set_layout("1x3")
    mpr_window.resize(900, 700)
    qtbot.waitUntil(lambda: grid.arrangement() == "2x2" and grid.legend.isVisible())
    axial, sagittal = mpr_window.mpr.views["axial"], mpr_window.mpr.views["sagittal"]
    assert grid.layout_name() == "1x3" and sagittal.geometry().top() > axial.geometry().bottom()
    coronal = mpr_window.mpr.views["coronal"]
    mpr_window.resize(1800, 700)
    qtbot.waitUntil(lambda: grid.arrangement() == "1x3" and not grid.legend.isVisible())
    assert coronal.geometry().top() == axial.geometry().top() and grid.layout_name() == "1x3"
