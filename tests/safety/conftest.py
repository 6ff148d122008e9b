"""Fixtures for the safety tests: the blob model saved through the real registry, and the viewer with its AI panel."""

import pytest
from ai.fakes import save_blob_model
from PySide6.QtCore import QSettings


@pytest.fixture(autouse=True)
def onnx_cache_per_test(fresh_onnx_cache):
    """Every safety test starts from an empty ONNX cache, so a model load always logs at debug level."""


@pytest.fixture
def blob_weights_dir(tmp_path):
    """``tmp_path/weights`` holding the model ``blob`` (a real, loadable model file)."""
    return save_blob_model(tmp_path / "weights")


@pytest.fixture
def analysed_window(qtbot, tmp_path, sample_series_dir, blob_weights_dir):
    """A function that opens the sample in the real window with the AI panel, classifies a slice, shows its overlay.

    It returns the window once the overlay is on screen; the window is closed (threads joined) afterwards.
    """
    from lungview.inference.cache import ClassifierCache
    from lungview.qt.ai_controller import install_ai_panel
    from lungview.qt.main_window import MainWindow

    windows = []

    def open_and_analyse():
        window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        windows.append(window)
        controller = install_ai_panel(window, ClassifierCache(blob_weights_dir))
        window.show()
        with qtbot.waitSignal(window.loading_finished, timeout=120_000):
            window.open_paths([str(sample_series_dir)])
        qtbot.waitUntil(lambda: controller.model_id() == "blob" and window.current_image() is not None, timeout=120_000)
        with qtbot.waitSignal(controller.overlay_shown, check_params_cb=lambda a: a is not None, timeout=120_000):
            controller.cam_action.setChecked(True)
        window.set_slice(window.current_index() + 1)
        with qtbot.waitSignal(controller.analysis_shown, check_params_cb=lambda a: a is not None, timeout=120_000):
            controller.analyse_current()
        return window

    yield open_and_analyse
    for window in windows:
        window.close()
