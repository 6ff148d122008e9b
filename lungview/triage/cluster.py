"""The Dask cluster a triage runs on: a local one sized to this machine, or an existing one by its address."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

#: Times a series may be running on a worker that dies before it is marked failed (Dask's KilledWorker).
ALLOWED_FAILURES = 2
#: Memory a worker needs for the model and one long series: measured, 180 MiB with the model loaded and 2.3 MiB
#: more per slice at the peak of a 140-slice series (507 MiB), so about 1.3 GiB for 500 slices; with room to spare.
WORKER_MEMORY = 2 * 1024**3


@dataclass(frozen=True)
class ClusterPlan:
    """How a local cluster uses this machine: worker processes, one series at a time each, and their cores."""

    workers: int
    cores_per_worker: int


def machine_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def machine_memory() -> int:
    """Bytes of physical memory of this machine."""
    import psutil

    return int(psutil.virtual_memory().total)


def plan_local_cluster(workers: int | None = None, cores: int | None = None, memory: int | None = None) -> ClusterPlan:
    """Split ``cores`` (default: this machine's) between ``workers`` processes.

    By default one worker per core, but no more than ``memory`` (default: this machine's) holds at
    :data:`WORKER_MEMORY` each: Dask shares the memory out equally and stops a worker that outgrows its share.
    Each worker runs one series at a time with as many threads as it has cores, so the workers together never
    run more compute threads than there are cores.
    """
    cores = cores or machine_cores()
    if workers is None:
        workers = min(cores, (memory or machine_memory()) // WORKER_MEMORY)
    workers = max(1, workers)
    return ClusterPlan(workers, max(1, cores // workers))


def cluster_config(allowed_failures: int = ALLOWED_FAILURES) -> dict:
    """Dask settings of a triage cluster: bounded retries of a worker-killing series, one series per thread, and
    glibc's own memory management in the workers."""
    return {
        "distributed.scheduler.allowed-failures": allowed_failures,
        # queued series wait on the scheduler, not on a busy worker (see runner.QUEUED_PER_THREAD)
        "distributed.scheduler.worker-saturation": 1.0,
        # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers, which also turns off glibc's adaptive mmap threshold:
        # every slice-sized array is then mapped and page-faulted afresh. The finder ran 24-69 % slower so.
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }


def quiet_dask_logs(debug: bool = False) -> None:
    """Log Dask's scheduler and nannies (they run in this process) at WARNING, or DEBUG with ``debug``.

    Importing ``distributed`` sets its loggers up, so it is imported first; without this every worker start and
    stop is logged at INFO.
    """
    import logging

    import distributed  # noqa: F401 - sets its loggers' levels on import

    logging.getLogger("distributed").setLevel(logging.DEBUG if debug else logging.WARNING)


@contextlib.contextmanager
def local_client(plan: ClusterPlan, allowed_failures: int = ALLOWED_FAILURES) -> Iterator:
    """A ``distributed.Client`` of a new local cluster of ``plan`` (closed on exit)."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(cluster_config(allowed_failures)):
        with (
            LocalCluster(
                n_workers=plan.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client


@contextlib.contextmanager
def remote_client(address: str) -> Iterator:
    """A ``distributed.Client`` of the running scheduler at ``address`` (e.g. ``tcp://host:8786``)."""
    from distributed import Client

    with Client(address) as client:
        yield client
