"""The Grad-CAM overlay in the real window: key C, registered on the blob at every zoom and pan, opacity, label."""

import numpy as np
import pydicom
import pytest
from ai.fakes import BLOB_CENTRE, blob_slice, save_blob_model
from PySide6.QtCore import QPointF, Qt

from lungview.inference.cache import ClassifierCache
from lungview.inference.classifier import load_classifier
from lungview.qt.ai_controller import install_ai_panel
from lungview.qt.ai_overlay import ATTENTION_LABEL, heatmap_rgba
from lungview.qt.ai_screenshot import show_ai_result


@pytest.fixture
def blob_folder(tmp_path, sample_series_dir):
    """One axial CT DICOM file whose pixels are :func:`blob_slice` (HU stored directly)."""
    folder = tmp_path / "blob-series"
    folder.mkdir()
    dataset = pydicom.dcmread(sample_series_dir / "1-10.dcm")
    dataset.set_pixel_data(blob_slice().astype(np.int16), "MONOCHROME2", 16)
    dataset.RescaleSlope, dataset.RescaleIntercept = 1, 0
    dataset.save_as(folder / "blob.dcm")
    return folder


@pytest.fixture
def blob_window(qtbot, main_window, blob_folder, tmp_path):
    weights = save_blob_model(tmp_path / "weights")
    cache = ClassifierCache(
        weights, loader=lambda model_id: load_classifier(model_id, weights, onnx_cache=tmp_path / "onnx")
    )
    ai = install_ai_panel(main_window, cache)
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(blob_folder)])
    qtbot.waitUntil(
        lambda: main_window.current_image() is not None and "blob" in ai.panel.model_label.text(), timeout=60_000
    )
    return main_window, ai


def _attention_peak_on_screen(view) -> tuple[float, float]:
    """Slice (row, col) under the centroid of the reddest overlay pixels in the grabbed view."""
    image = view.grab().toImage().convertToFormat(view.grab().toImage().Format.Format_RGB888)
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())[:, : width * 3]
    rgb = pixels.reshape(height, width, 3).astype(np.int32)
    redness = rgb[..., 0] - rgb[..., 2]
    ys, xs = np.nonzero(redness >= redness.max() - 10)
    ratio = view.devicePixelRatioF()
    return view.view_to_image(QPointF(xs.mean() / ratio, ys.mean() / ratio))


def test_overlay_is_registered_on_the_blob_zoomed_and_panned(qtbot, blob_window):
    window, ai = blob_window
    with qtbot.waitSignal(ai.overlay_shown, timeout=60_000, check_params_cb=lambda a: a is not None) as shown:
        qtbot.keyClick(window, Qt.Key.Key_C)
    attention = shown.args[0]
    assert ai.cam_action.isChecked() and window.view.has_overlay()
    assert attention.class_name == "tumour" and attention.method == "gradcam"
    view = window.view
    for zoom, pan in ((1.0, (0, 0)), (2.5, (-60, 35)), (4.0, (40, -25))):
        view.fit()
        view.zoom_by(zoom, view.image_to_view(*BLOB_CENTRE))
        view.pan_by(*pan)
        row, col = _attention_peak_on_screen(view)
        assert abs(row - BLOB_CENTRE[0]) <= 12 and abs(col - BLOB_CENTRE[1]) <= 12, (zoom, pan, row, col)


def test_toggle_off_class_choice_and_method(qtbot, blob_window):
    window, ai = blob_window
    panel = ai.panel
    with qtbot.waitSignal(ai.overlay_shown, timeout=60_000, check_params_cb=lambda a: a is not None):
        panel.cam_button.click()
    with qtbot.waitSignal(ai.overlay_shown, timeout=60_000, check_params_cb=lambda a: a is not None) as shown:
        panel.table.class_clicked.emit("normal")
    assert shown.args[0].class_name == "normal"
    assert "For: normal (chosen in the table" in panel.cam_class_label.text()
    with qtbot.waitSignal(ai.overlay_shown, timeout=60_000, check_params_cb=lambda a: a is not None) as shown:
        panel.cam_method_box.setCurrentIndex(panel.cam_method_box.findData("eigencam"))
        panel.cam_method_box.activated.emit(panel.cam_method_box.currentIndex())
    assert shown.args[0].method == "eigencam"
    qtbot.keyClick(window, Qt.Key.Key_C)
    assert not window.view.has_overlay() and ai.current_attention() is None


def test_overlay_leaves_with_the_slice(qtbot, blob_window):
    window, ai = blob_window
    with qtbot.waitSignal(ai.overlay_shown, timeout=60_000, check_params_cb=lambda a: a is not None):
        ai.cam_action.setChecked(True)
    ai._on_slice_changed(window.current_index())  # as if the user moved: nothing from before may stay
    assert not window.view.has_overlay()


def test_heatmap_rgba_opacity_and_colours():
    heatmap = np.array([[0.0, 0.2, 0.35, 0.5, 1.0]], np.float32)
    rgba = heatmap_rgba(heatmap, 0.25)
    assert rgba.shape == (1, 5, 4)
    # the lowest attention is transparent (the blue end no longer tints the slice), full opacity from 0.5
    assert rgba[0, :, 3].tolist() == [0, 0, 32, 64, 64]
    assert rgba[0, 0, 2] > rgba[0, 0, 0] and rgba[0, 4, 0] > rgba[0, 4, 2]  # blue low, red high
    assert ATTENTION_LABEL == "model attention on this axial slice only — not lesion location"


def test_show_ai_result_for_a_screenshot(blob_window):
    window, ai = blob_window
    assert show_ai_result(ai, with_cam=True) is None
    assert ai.current_analysis() is not None and window.view.has_overlay()


def test_show_ai_result_without_models(qtbot, main_window, blob_folder):
    ai = install_ai_panel(main_window, ClassifierCache(loader=lambda _id: None, lister=lambda: []))
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(blob_folder)])
    assert show_ai_result(ai, with_cam=False, timeout_s=30).startswith("No model is installed")


def test_key_c_is_listed_with_the_shortcuts(blob_window):
    window, ai = blob_window
    assert ai.cam_action in window._shortcut_actions and ai.cam_action in window.view_menu.actions()


def test_the_display_window_does_not_change_what_the_model_sees(qtbot, blob_window):
    window, ai = blob_window
    with qtbot.waitSignal(ai.analysis_shown, timeout=60_000, check_params_cb=lambda a: a is not None) as lung:
        ai.analyse_current()
    window.apply_preset("bone")
    ai.forget_results()
    with qtbot.waitSignal(ai.analysis_shown, timeout=60_000, check_params_cb=lambda a: a is not None) as bone:
        ai.analyse_current()
    assert bone.args[0].classification == lung.args[0].classification
