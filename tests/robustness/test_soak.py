"""Soak: thousands of slice changes in the real main window with automatic analysis and the overlay on.

Checks that no result or overlay is ever shown on a slice other than its own, that every worker thread ends
when the window closes, and that resident memory grows by at most 5 % between the end of the warm-up and the end.
``LUNGVIEW_SOAK_STEPS`` sets the number of slice changes (default 400; 10000 for the long run).
"""

import gc
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from ai.fakes import SlowFakeClassifier
from PySide6.QtCore import QSettings, QThreadPool

from lungview.inference.cache import ClassifierCache
from lungview.qt.events import process_events

STEPS = int(os.environ.get("LUNGVIEW_SOAK_STEPS", "400"))
DWELL_EVERY = 25
"""Every this many changes the user stays until the result and its overlay are on screen."""
MAX_MEMORY_GROWTH = 0.05


def resident_mb() -> float | None:
    """This process's resident memory now (Linux /proc), or None elsewhere."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return None
    line = next(line for line in status.read_text().splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@pytest.fixture
def soak_window(qtbot, tmp_path, sample_series_dir):
    """The real window on the sample with the AI panel, "auto" on without delay and the overlay on; closed after."""
    from lungview.qt.ai_controller import AiController
    from lungview.qt.ai_panel import AiPanel
    from lungview.qt.ai_strip import ProbabilityStrip
    from lungview.qt.main_window import MainWindow

    threads_before = {thread.ident for thread in threading.enumerate()}
    fake = SlowFakeClassifier(delay=0.002)
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    panel, strip = AiPanel(window), ProbabilityStrip(window)
    window.add_panel(panel, "AI second reader")
    window.add_slider_strip(strip)
    cache = ClassifierCache(loader=lambda _model_id: fake, lister=lambda: [fake.card.id])
    # No auto delay: every slice change asks for an analysis, so nearly every request is superseded mid-flight.
    controller = AiController(window, panel, strip, cache, auto_delay_ms=0)
    window.show()
    with qtbot.waitSignal(window.loading_finished, timeout=120_000):
        window.open_paths([str(sample_series_dir)])
    qtbot.waitUntil(lambda: controller.model_id() == fake.card.id and panel.status_label.text() == "", timeout=30_000)
    panel.auto_box.setChecked(True)
    controller.cam_action.setChecked(True)
    yield window, controller, fake
    window.close()
    process_events()
    left = [t.name for t in threading.enumerate() if t.ident not in threads_before and t.is_alive()]
    assert left == [], f"threads left running after the window closed: {left}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def test_soak_slice_changes_with_analysis_on(qtbot, soak_window):
    window, controller, fake = soak_window
    problems: list[str] = []

    def on_analysis_shown(analysis) -> None:
        if analysis is None:
            return
        if analysis.index != window.current_index() or analysis.series_uid != window.current_series().series_uid:
            problems.append(f"result for slice {analysis.index} shown on slice {window.current_index()}")
        image = window.current_image()
        if (
            image is not None
            and abs(analysis.classification.prediction.cancer_probability - fake.expected(image)) > 1e-6
        ):
            problems.append(f"slice {analysis.index} shows another slice's probability")

    def on_overlay_shown(attention) -> None:
        if attention is not None and attention.index != window.current_index():
            problems.append(f"overlay of slice {attention.index} drawn on slice {window.current_index()}")

    controller.analysis_shown.connect(on_analysis_shown)
    controller.overlay_shown.connect(on_overlay_shown)
    rng = np.random.default_rng(7)
    slices = len(window.current_series())
    warm_up = max(50, STEPS // 10)
    memory_after_warm_up = None
    dwells = 0
    for step in range(STEPS):
        if rng.random() < 0.8:
            window.step_slice(int(rng.choice([-3, -2, -1, 1, 2, 3])))
        else:
            window.set_slice(int(rng.integers(0, slices)))
        if step % DWELL_EVERY == DWELL_EVERY - 1:
            qtbot.waitUntil(lambda: controller.current_attention() is not None, timeout=30_000)
            shown = controller.panel.table.shown_probability("tumour")
            if abs(shown - fake.expected(window.current_image())) > 1e-3:
                problems.append(f"table shows {shown} on slice {window.current_index()}")
            dwells += 1
        else:
            process_events()
        if step + 1 == warm_up:
            gc.collect()
            memory_after_warm_up = resident_mb()
    qtbot.wait(200)  # the last superseded results arrive and must be dropped
    gc.collect()
    memory_at_end = resident_mb()

    assert problems == []
    assert dwells == STEPS // DWELL_EVERY
    assert fake.calls < STEPS  # superseded requests never ran
    if memory_after_warm_up is not None:
        growth = (memory_at_end - memory_after_warm_up) / memory_after_warm_up
        print(f"\n{STEPS} slice changes, {dwells} dwells, {fake.calls} classifications: resident memory "
              f"{memory_after_warm_up:.0f} -> {memory_at_end:.0f} MiB ({growth:+.1%})")
        assert growth <= MAX_MEMORY_GROWTH
