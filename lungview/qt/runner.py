"""A background runner where the latest request wins: one worker thread, a generation counter, queued results.

Pattern from ndv ``_array_viewer.py::_request_data`` and napari ``_layer_slicer.py::submit`` (see STYLE.md):

- ``submit(job, *args)`` replaces any request still waiting; the job then runs on the runner's own thread.
- A job that takes ``progress`` and ``cancelled`` keyword arguments (``submit(..., with_progress=True)``) gets a
  ``progress(done, total)`` callback and a ``cancelled()`` predicate that turns true as soon as a newer request
  arrives, :meth:`Runner.cancel` is called or the runner shuts down.
- Results, failures and progress travel to the GUI thread through signals on a ``Qt.QueuedConnection``; those of
  an old generation are dropped there, so a result can never land on a slice the user has already left.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05
"""Progress reaches the GUI at most this often (and always at the end): a scan of 1000 files is 20 updates, not 1000."""


@dataclass(frozen=True)
class _Request:
    generation: int
    job: Callable[..., Any]
    args: tuple
    with_progress: bool


class Runner(QObject):
    """Run one job at a time on a private thread; only the newest request's outcome reaches the GUI.

    Signals (emitted on the GUI thread, current generation only):
    ``finished(generation, result)``, ``failed(generation, exception)``, ``progressed(generation, done, total)``.
    """

    finished = Signal(int, object)
    failed = Signal(int, object)
    progressed = Signal(int, int, int)

    # Emitted on the worker thread; connected with a queued connection to the filters below.
    _job_finished = Signal(int, object)
    _job_failed = Signal(int, object)
    _job_progressed = Signal(int, int, int)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._condition = threading.Condition()
        self._pending: _Request | None = None
        self._generation = 0
        self._running_generation: int | None = None
        self._stopping = False
        self._job_finished.connect(self._on_job_finished, Qt.ConnectionType.QueuedConnection)
        self._job_failed.connect(self._on_job_failed, Qt.ConnectionType.QueuedConnection)
        self._job_progressed.connect(self._on_job_progressed, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._work, name=f"lungview-{name}", daemon=True)
        self._thread.start()

    def connect_outcomes(self, finished: Callable, failed: Callable, progressed: Callable | None = None) -> None:
        """Connect the slots of the newest request's result, error and (optionally) progress."""
        self.finished.connect(finished)
        self.failed.connect(failed)
        if progressed is not None:
            self.progressed.connect(progressed)

    @property
    def generation(self) -> int:
        """The generation of the newest request (0 before the first)."""
        return self._generation

    def is_busy(self) -> bool:
        """True while the newest request is waiting or running."""
        with self._condition:
            return self._pending is not None or self._running_generation == self._generation

    def submit(self, job: Callable[..., Any], *args: Any, with_progress: bool = False) -> int:
        """Queue ``job(*args)``, superseding any request still waiting; return its generation."""
        with self._condition:
            if self._stopping:
                raise RuntimeError(f"runner {self._name!r} is shut down")
            self._generation += 1
            self._pending = _Request(self._generation, job, args, with_progress)
            self._condition.notify()
            return self._generation

    def cancel(self) -> None:
        """Ask the current job to stop at its next cancel point and drop its outcome."""
        with self._condition:
            self._pending = None
            self._generation += 1  # no request carries this generation: everything older is stale

    def shutdown(self) -> None:
        """Cancel everything and wait for the worker thread to end (call from ``closeEvent``)."""
        with self._condition:
            self._stopping = True
            self._pending = None
            self._condition.notify()
        self._thread.join()

    def _is_cancelled(self, generation: int) -> bool:
        return self._stopping or generation != self._generation

    def _work(self) -> None:
        while True:
            with self._condition:
                while self._pending is None and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                request, self._pending = self._pending, None
                self._running_generation = request.generation
            self._run(request)
            with self._condition:
                self._running_generation = None

    def _run(self, request: _Request) -> None:
        generation = request.generation
        kwargs = {}
        if request.with_progress:
            kwargs = {
                "progress": self._throttled_progress(generation),
                "cancelled": lambda: self._is_cancelled(generation),
            }
        try:
            result = request.job(*request.args, **kwargs)
        except Exception as error:  # noqa: BLE001 - every failure goes to the one error path in the GUI
            if not self._is_cancelled(generation):
                log.debug("runner %s: job failed", self._name, exc_info=True)
            self._job_failed.emit(generation, error)
        else:
            self._job_finished.emit(generation, result)

    def _throttled_progress(self, generation: int) -> Callable[[int, int], None]:
        last_sent = [0.0]
        lock = threading.Lock()  # a job may report from several threads (parallel decoding)

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            with lock:
                if done < total and now - last_sent[0] < PROGRESS_INTERVAL_S:
                    return
                last_sent[0] = now
            self._job_progressed.emit(generation, done, total)

        return progress

    @Slot(int, object)
    def _on_job_finished(self, generation: int, result: object) -> None:
        if not self._is_cancelled(generation):
            self.finished.emit(generation, result)

    @Slot(int, object)
    def _on_job_failed(self, generation: int, error: object) -> None:
        if not self._is_cancelled(generation):
            self.failed.emit(generation, error)

    @Slot(int, int, int)
    def _on_job_progressed(self, generation: int, done: int, total: int) -> None:
        if not self._is_cancelled(generation):
            self.progressed.emit(generation, done, total)
