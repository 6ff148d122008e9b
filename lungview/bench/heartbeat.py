"""Tools of the GUI benchmarks: a heartbeat timer whose longest gap is the GUI thread's longest stall, and a wait
that runs the event loop until a signal fires."""

import time

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance

TIMEOUT_MS = 300_000


class Heartbeat:
    """Beats every ``interval_ms`` on the GUI thread; :meth:`stop` gives the longest stall seen."""

    def __init__(self, interval_ms: int = 5) -> None:
        self._beats: list[float] = []
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(lambda: self._beats.append(time.perf_counter()))

    def start(self) -> None:
        """Start beating (again), forgetting earlier beats."""
        self._beats = [time.perf_counter()]
        self._timer.start()

    def stop(self) -> float:
        """Stop and return the longest gap in ms."""
        self._timer.stop()
        self._beats.append(time.perf_counter())
        return max((b - a) * 1000 for a, b in zip(self._beats, self._beats[1:]))


def wait_for(signal: SignalInstance, accept=lambda *args: True, timeout_ms: int = TIMEOUT_MS) -> bool:
    """Run the event loop until ``signal`` fires with arguments ``accept`` likes; False on timeout."""
    loop = QEventLoop()
    seen: list[bool] = []

    def on_signal(*args) -> None:
        if accept(*args):
            seen.append(True)
            loop.quit()

    signal.connect(on_signal)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(on_signal)
    return bool(seen)
