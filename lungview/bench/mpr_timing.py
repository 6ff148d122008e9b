"""Measure the coronal and sagittal views in the real main window (used by ``lungview.bench.mpr``).

A heartbeat ``QTimer`` fires every few milliseconds on the GUI thread while the reformat volume builds, while the
wheel scrolls the coronal and sagittal planes and while the crosshair is dragged through the coronal view; the
longest gap between two beats is the longest time the window could not react. Each injected event's own handling
time is measured too.
"""

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QEventLoop, QPoint, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from lungview.bench.heartbeat import Heartbeat, wait_for
from lungview.qt.app import application
from lungview.qt.main_window import MainWindow

TIMEOUT_MS = 600_000
IDLE_MS = 1500
"""The heartbeat also runs this long with the window idle: the stalls the machine's load alone causes."""


def _drive(steps: list[Callable[[], None]], interval_ms: int, heartbeat: Heartbeat) -> dict:
    """Run one step every ``interval_ms`` on the GUI thread; the stall and the per-step handling times."""
    durations: list[float] = []
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(interval_ms)
    pending = list(steps)

    def tick() -> None:
        if not pending:
            timer.stop()
            loop.quit()
            return
        started = time.perf_counter()
        pending.pop(0)()
        durations.append((time.perf_counter() - started) * 1000)

    timer.timeout.connect(tick)
    heartbeat.start()
    timer.start()
    loop.exec()
    durations.sort()
    return {
        "steps": len(durations),
        "longest_gap_ms": round(heartbeat.stop(), 1),
        "slowest_step_ms": round(durations[-1], 1),
        "median_step_ms": round(durations[len(durations) // 2], 1),
    }


def _wheel(view, notches: int) -> None:
    position = QPointF(view.width() / 2, view.height() / 2)
    QApplication.sendEvent(view, QWheelEvent(
        position, view.mapToGlobal(position), QPoint(), QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    ))


def _mouse(view, kind: QEvent.Type, row: float, col: float) -> None:
    point = view.image_to_view(row, col)
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    QApplication.sendEvent(view, QMouseEvent(
        kind, point, view.mapToGlobal(point), Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove
        else Qt.MouseButton.NoButton, buttons, Qt.KeyboardModifier.NoModifier,
    ))


def measure_mpr(paths: list[str], settings_file: str, steps: int = 120, interval_ms: int = 10,
                heartbeat_ms: int = 5) -> dict:
    """Open ``paths``, switch to the 1×3 layout, then scroll and drag in the coronal and sagittal views.

    Returns
    -------
    dict
        ``slices``, ``build_s`` (layout switch to both planes shown) and ``build_longest_gap_ms``,
        ``idle_longest_gap_ms`` (the three views shown, nothing to do), and for ``scroll`` and ``drag``: ``steps``,
        ``longest_gap_ms``, ``slowest_step_ms``, ``median_step_ms``.
    """
    application()
    window = MainWindow(QSettings(settings_file, QSettings.Format.IniFormat))
    window.resize(1500, 700)
    window.show()
    window.open_paths(paths)
    wait_for(window.loading_finished, timeout_ms=TIMEOUT_MS)
    series = window.current_series()
    heartbeat = Heartbeat(heartbeat_ms)
    heartbeat.start()
    started = time.perf_counter()
    window.set_layout("1x3")
    wait_for(window.mpr.volume_ready, timeout_ms=TIMEOUT_MS)
    build_s = time.perf_counter() - started
    build_gap = round(heartbeat.stop(), 1)
    idle = QEventLoop()
    QTimer.singleShot(IDLE_MS, idle.quit)
    heartbeat.start()
    idle.exec()
    idle_gap = round(heartbeat.stop(), 1)
    coronal, sagittal = window.mpr.views["coronal"], window.mpr.views["sagittal"]
    half = steps // 2
    scroll = [lambda: _wheel(coronal, -1)] * half + [lambda: _wheel(sagittal, 1)] * (steps - half)
    scroll_figures = _drive(scroll, interval_ms, heartbeat)
    planes = window.mpr.volume().planes
    rows = [planes * (0.05 + 0.9 * step / steps) for step in range(steps)]
    col = window.mpr.volume().plane_count("coronal") / 2
    drag = [lambda: _mouse(coronal, QEvent.Type.MouseButtonPress, rows[0], col)]
    drag += [lambda r=row: _mouse(coronal, QEvent.Type.MouseMove, r, col + r / 4) for row in rows]
    drag.append(lambda: _mouse(coronal, QEvent.Type.MouseButtonRelease, rows[-1], col))
    drag_figures = _drive(drag, interval_ms, heartbeat)
    window.close()
    window.deleteLater()
    return {
        "slices": len(series),
        "build_s": round(build_s, 3),
        "build_longest_gap_ms": build_gap,
        "idle_longest_gap_ms": idle_gap,
        "scroll": scroll_figures,
        "drag": drag_figures,
    }
