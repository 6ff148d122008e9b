"""Let background model work yield the CPU to the window: a lower scheduling priority for worker threads."""

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

#: Niceness added to a worker thread (Linux: per thread). Threads it starts afterwards (ONNX Runtime's pool, the
#: triage's decode threads) inherit it.
BACKGROUND_NICENESS = 10
_lowered = threading.local()


def lower_thread_priority() -> None:
    """Lower the calling thread's scheduling priority once (Linux only; elsewhere nothing happens)."""
    if getattr(_lowered, "done", False) or not sys.platform.startswith("linux"):
        return
    _lowered.done = True
    try:
        thread_id = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, min(current + BACKGROUND_NICENESS, 19))
    except OSError as error:
        log.debug("cannot lower the priority of a worker thread (%s)", error)
