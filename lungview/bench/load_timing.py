"""Measure how responsive the real main window stays while it loads a series (used by ``lungview.bench.gui``).

A heartbeat ``QTimer`` fires every few milliseconds on the GUI thread; the longest gap between two beats is the
longest time the window could not react to the user.
"""

import time

from PySide6.QtCore import QEventLoop, QSettings, QTimer

from lungview.qt.app import application
from lungview.qt.main_window import MainWindow

TIMEOUT_MS = 600_000
WARM_UP_MS = 300


def _run_event_loop_for(milliseconds: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def measure_loading(paths: list[str], settings_file: str, heartbeat_ms: int = 5) -> dict:
    """Open ``paths`` in a fresh main window and time it.

    Returns
    -------
    dict
        ``slices``, ``first_image_s`` (open to the first slice on screen), ``loaded_s`` (open to every slice
        decoded), ``longest_gap_ms`` and ``median_gap_ms`` of the heartbeat, ``beats``.
    """
    application()
    window = MainWindow(QSettings(settings_file, QSettings.Format.IniFormat))
    window.show()
    _run_event_loop_for(WARM_UP_MS)  # the first layout and paint of a new window are not loading
    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(heartbeat_ms)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    first_image: list[float] = []
    window.slice_displayed.connect(lambda _index: first_image.append(time.perf_counter()) if not first_image else None)
    loop = QEventLoop()
    window.loading_finished.connect(loop.quit)
    QTimer.singleShot(TIMEOUT_MS, loop.quit)
    heartbeat.start()
    started = time.perf_counter()
    beats.append(started)
    window.open_paths(paths)
    loop.exec()
    loaded = time.perf_counter()
    heartbeat.stop()
    beats.append(loaded)
    series = window.current_series()
    window.close()
    window.deleteLater()
    gaps = sorted((later - earlier) * 1000 for earlier, later in zip(beats, beats[1:]))
    return {
        "slices": len(series) if series is not None else 0,
        "first_image_s": round(first_image[0] - started, 3) if first_image else None,
        "loaded_s": round(loaded - started, 3),
        "longest_gap_ms": round(gaps[-1], 1),
        "median_gap_ms": round(gaps[len(gaps) // 2], 1),
        "beats": len(beats),
    }
