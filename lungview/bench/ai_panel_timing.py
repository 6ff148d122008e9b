"""Time the AI panel in the real main window (used by ``lungview.bench.ai``).

Click to probabilities and click to overlay are timed from the request to the moment the result is on screen;
series triage from "Analyse series" to the filled strip. A heartbeat ``QTimer`` on the GUI thread measures the
longest stall while the models run.
"""

import statistics
import time

from PySide6.QtCore import QSettings

from lungview.bench.heartbeat import Heartbeat as _Heartbeat
from lungview.bench.heartbeat import wait_for as _wait
from lungview.inference.cache import ClassifierCache
from lungview.qt.ai_controller import install_ai_panel
from lungview.qt.app import application
from lungview.qt.events import process_events
from lungview.qt.main_window import MainWindow

TIMEOUT_MS = 300_000
IDLE_MS = 2000
"""The heartbeat also runs this long with nothing to do: the stalls the machine's load alone causes."""


def _wait_until(condition, timeout_ms: int = TIMEOUT_MS) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the AI benchmark gave up waiting")
        process_events(20)
        time.sleep(0.005)


def measure_ai_panel(paths: list[str], settings_file: str, cache: ClassifierCache, repeats: int = 8) -> dict:
    """Open ``paths``, then time ``repeats`` clicks to probabilities, to overlay, and one series triage.

    Returns
    -------
    dict
        Medians and all samples in ms, triage slices/s, the longest GUI stall while analysing and while idle (the
        machine's own share), the model backend.
    """
    application()
    window = MainWindow(QSettings(settings_file, QSettings.Format.IniFormat))
    controller = install_ai_panel(window, cache)
    window.show()
    try:
        heartbeat = _Heartbeat()
        heartbeat.start()
        started = time.perf_counter()
        window.open_paths(paths)
        _wait_until(lambda: window.current_series() is not None and not window.loader.is_loading())
        _wait_until(lambda: controller.model_backend() is not None and controller.panel.status_label.text() == "")
        model_ready_s = time.perf_counter() - started
        loading_stall = heartbeat.stop()
        series = window.current_series()
        heartbeat.start()
        _wait(controller.triage_shown, timeout_ms=IDLE_MS)  # never fires: the event loop idles for IDLE_MS
        idle_stall = heartbeat.stop()
        slices = [round(i * (len(series) - 1) / max(2 * repeats - 1, 1)) for i in range(2 * repeats)]
        probability_ms, overlay_ms, stalls = [], [], []
        for number, index in enumerate(slices):
            with_overlay = number % 2 == 1
            controller.cam_action.setChecked(with_overlay)
            window.set_slice(index)
            controller.forget_results()  # time the model, not the results kept from earlier
            _wait_until(lambda: window.current_image() is not None and controller.current_analysis() is None)
            shown = controller.overlay_shown if with_overlay else controller.analysis_shown
            heartbeat.start()
            started = time.perf_counter()
            controller.analyse_current()
            if not _wait(shown, lambda result: result is not None):
                raise RuntimeError("no AI result arrived")
            (overlay_ms if with_overlay else probability_ms).append((time.perf_counter() - started) * 1000)
            stalls.append(heartbeat.stop())
        controller.cam_action.setChecked(False)
        heartbeat.start()
        started = time.perf_counter()
        controller.analyse_series()
        if not _wait(controller.triage_shown):
            raise RuntimeError("the series triage did not finish")
        triage_s = time.perf_counter() - started
        triage_stall = heartbeat.stop()
        return {
            "model": controller.model_id(),
            "backend": controller.model_backend(),
            "triage_model": controller.triage_model_id(),
            "slices": len(series),
            "click_to_probabilities_ms_median": round(statistics.median(probability_ms), 1),
            "click_to_overlay_ms_median": round(statistics.median(overlay_ms), 1),
            "click_to_probabilities_ms": [round(v, 1) for v in probability_ms],
            "click_to_overlay_ms": [round(v, 1) for v in overlay_ms],
            "triage_s": round(triage_s, 2),
            "triage_slices_per_s_gui": round(len(series) / triage_s, 1),
            "longest_gui_stall_ms_while_classifying": round(max(stalls), 1),
            "longest_gui_stall_ms_while_triaging": round(triage_stall, 1),
            "longest_gui_stall_ms_idle": round(idle_stall, 1),
            "open_to_model_ready_s": round(model_ready_s, 2),
            "longest_gui_stall_ms_while_loading_series_and_model": round(loading_stall, 1),
            "gui_stall_ms_per_click": [round(v, 1) for v in stalls],
        }
    finally:
        window.close()
        window.deleteLater()
