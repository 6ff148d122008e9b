"""SEG and RTSTRUCT overlays in the viewer: listed under their CT, drawn, toggled; broken ones say why in one line."""

import numpy as np
import pytest
from annotation_data import LUNG_4D, QIN, qin_with_broken_segs, rtstruct_in_other_frame
from PySide6.QtGui import QImage

from lungview.qt.annotation_layer import install_annotations
from lungview.qt.shortcuts_dialog import shortcut_rows


@pytest.fixture
def layer(main_window):
    return install_annotations(main_window)


def _open(qtbot, window, layer, paths):
    with qtbot.waitSignal(window.scan_finished, timeout=60_000):
        window.open_paths([str(path) for path in paths])
    qtbot.waitUntil(lambda: window.current_image() is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not layer.is_loading() and layer.annotations() is not None, timeout=60_000)


def _annotation_pixels(painter) -> int:
    """Pixels of the painter's own drawing (its grab over a transparent background), legend included."""
    painter.repaint()
    image = painter.grab().toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return int((pixels[:, 3 : image.width() * 4 : 4] > 0).sum())


def test_qin_segs_are_annotations_of_the_ct_drawn_on_the_tumour(qtbot, main_window, layer, shared_data):
    _open(qtbot, main_window, layer, [shared_data / QIN])
    assert main_window.series_browser.count() == 1  # the three SEGs are not image series
    assert "+ 3 annotation(s): SEG, SEG, SEG" in main_window.series_browser.item(0).text()
    assert main_window.statusBar().currentMessage() == "3 annotation object(s), 3 region(s) drawn"
    legend = [name for name, _ in layer.legend()]
    assert len(legend) == 3 and all("run1segmentation result" in name for name in legend)
    region = layer.annotations().overlays[0].regions[0]
    tumour = max(region.slices, key=lambda index: region.slices[index].crop.sum())
    with qtbot.waitSignal(main_window.slice_displayed, timeout=30_000):
        main_window.set_slice(tumour)
    painter = layer.painters["axial"]
    assert layer.plane_rgba("axial", (512, 512)) is not None
    drawn = _annotation_pixels(painter)
    assert drawn > 0 and painter.has_drawing()
    layer.toggle_action.trigger()  # key O
    assert not layer.visible()
    assert _annotation_pixels(painter) == 0
    layer.toggle_action.trigger()
    layer.fill_action.trigger()  # Shift+O: fill covers more pixels than the outline
    assert _annotation_pixels(painter) > drawn
    rows = dict((text, keys) for keys, text in shortcut_rows(main_window._shortcut_actions))
    assert rows["Annotations (SEG, RTSTRUCT, SR regions)"] == "O"
    assert rows["Fill annotations (else outline)"] == "Shift+O"


def test_broken_segs_give_one_status_line_and_the_ct_still_opens(qtbot, main_window, layer, shared_data, tmp_path):
    folder = qin_with_broken_segs(shared_data / QIN, tmp_path / "study")
    _open(qtbot, main_window, layer, [folder])
    assert main_window.current_series().modality == "CT" and main_window.current_image() is not None
    message = main_window.statusBar().currentMessage()
    assert "\n" not in message
    assert message.startswith("1 annotation object(s), 1 region(s) drawn; ")
    assert "“moved away” not drawn: its references match no image of this series" in message
    assert "“cut short” not drawn: its pixel data cannot be read" in message


def test_rtstruct_in_another_frame_of_reference_is_not_drawn(qtbot, main_window, layer, shared_data, tmp_path):
    folder = rtstruct_in_other_frame(shared_data / LUNG_4D, tmp_path / "study")
    _open(qtbot, main_window, layer, [folder])
    assert main_window.current_image() is not None
    assert main_window.statusBar().currentMessage().endswith(
        "not drawn: it is in another frame of reference than the images"
    )
    assert layer.annotations().overlays == ()
