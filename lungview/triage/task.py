"""The per-series task that runs on a Dask worker: the lesion finder, loaded once per worker, on one series.

The task never raises: an error comes back inside :class:`SeriesAnalysis`. Dask logs a failed task with its
arguments, and a series' arguments hold file paths and descriptions, which must never reach a log.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lungview.detection import LesionFinder, SeriesLesions
from lungview.dicom import SliceStore
from lungview.inference.classifier import load_classifier
from lungview.models import ModelError
from lungview.triage.cluster import machine_cores
from lungview.volume import PatientIdentity, Series

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - the plain in-process loop needs no Dask
    WorkerPlugin = object


@dataclass(frozen=True)
class ModelSpec:
    """Which model the workers load, the sha256 its card must have, and the threads each worker gives it."""

    model_id: str
    sha256: str
    weights_dir: str | None = None
    """None: each worker's own shipped weights (verified against ``sha256`` all the same)."""
    threads: int | None = None
    """Intra-op threads of ONNX Runtime and PyTorch per running series; None: :func:`worker_threads`."""


@dataclass(frozen=True)
class SeriesAnalysis:
    """What the task returns for one series: the lesion finder's answer and its time, or the error."""

    key: str
    lesions: SeriesLesions | None
    seconds: float
    error: str = ""
    model_error: bool = False
    """True when the model itself could not be loaded (every series would fail the same way)."""


#: Decoded slices a task keeps (the lesion finder's own budget when it makes its store).
STORE_BYTES = 1024**3

_finders: dict[tuple[str, str], LesionFinder] = {}
_finders_lock = threading.Lock()


def threads_of(spec: ModelSpec) -> int | None:
    """The threads one series gets: ``spec.threads``, else :func:`worker_threads` (None: the libraries' defaults)."""
    return spec.threads or worker_threads()


def worker_threads() -> int | None:
    """Cores per running series on this Dask worker: its machine's cores over its threads; None outside a worker.

    Right for one worker process per machine (``dask worker ADDRESS --nworkers 1``), as docs/triage.md advises.
    """
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    return max(1, machine_cores() // max(1, worker.state.nthreads))


def finder_for(spec: ModelSpec) -> LesionFinder:
    """The lesion finder of ``spec``, loaded and verified once per process and reused for every series.

    Raises
    ------
    ModelError
        When the model cannot be loaded, or its weights are not those whose sha256 ``spec`` names.
    """
    key = (spec.model_id, spec.sha256)
    with _finders_lock:
        finder = _finders.get(key)
        if finder is None:
            weights_dir = None if spec.weights_dir is None else Path(spec.weights_dir)
            # the thread count goes to this model's own sessions: nothing process-wide is set
            segmenter = load_classifier(spec.model_id, weights_dir, reuse_export=True, threads=threads_of(spec))
            sha256 = segmenter.card.sha256
            if sha256 != spec.sha256:
                raise ModelError(
                    f"the weights of model {spec.model_id!r} on this worker are not those of the run "
                    f"(sha256 {sha256[:12]}…, expected {spec.sha256[:12]}…)"
                )
            finder = _finders[key] = LesionFinder(segmenter)
        return finder


def without_identity(series: Series) -> Series:
    """``series`` without the patient's name, ID and birth date (the task does not need them)."""
    return dataclasses.replace(series, patient=PatientIdentity())


def analyse_series(key: str, series: Series, spec: ModelSpec) -> SeriesAnalysis:
    """Run the lesion finder of ``spec`` on ``series``; any error is returned, never raised."""
    try:
        finder = finder_for(spec)
    except Exception as error:  # noqa: BLE001 - reported to the client, which stops the run
        return SeriesAnalysis(key, None, 0.0, f"{type(error).__name__}: {error}", model_error=True)
    started = time.perf_counter()
    try:
        # the store's decoding threads follow the worker's cores too (the finder's own store decodes on two)
        threads = threads_of(spec)
        store = SliceStore(series, STORE_BYTES, workers=threads) if threads else None
        lesions = finder.find(series, store)
    except Exception as error:  # noqa: BLE001 - one series' failure is recorded, the run goes on
        return SeriesAnalysis(key, None, time.perf_counter() - started, f"{type(error).__name__}: {error}")
    return SeriesAnalysis(key, lesions, time.perf_counter() - started)


class FinderPreload(WorkerPlugin):
    """Load and verify the model on each worker as it starts (restarted workers included), before any task."""

    name = "lungview-lesion-finder"

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    def setup(self, worker) -> None:
        """Load the model into this worker's cache; a failure is left for the first task to report.

        The worker process is Dask's own, so this is where its OpenCV thread pool (process-wide, with no per-call
        setting) is sized to the threads of one series.
        """
        threads = threads_of(self.spec)
        if threads:
            import cv2

            cv2.setNumThreads(threads)
        try:
            finder_for(self.spec)
        except Exception:  # noqa: BLE001 - analyse_series returns the same error as a model error
            pass
