"""Values computed once per key, even when several worker threads ask for the same key at once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Pending:
    """The lock one key's computation holds, and how many threads are computing or waiting for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


class OncePerKey(Generic[K, V]):
    """Values by key, each computed by the first thread that asks while the others asking for it wait.

    One lock per key, so different keys compute in parallel; a key's lock is dropped once no thread uses it. With a
    ``capacity``, the least recently used values beyond it are forgotten.
    """

    def __init__(self, capacity: int | None = None) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._values: OrderedDict[K, V] = OrderedDict()
        self._pending: dict[K, _Pending] = {}

    def __contains__(self, key: K) -> bool:
        with self._lock:
            return key in self._values

    def pending_keys(self) -> int:
        """How many keys are being computed now (0 when idle: no lock outlives its computation)."""
        with self._lock:
            return len(self._pending)

    def get(self, key: K, compute: Callable[[], V], keep: Callable[[V], bool] | None = None) -> V:
        """The value of ``key``: known, or ``compute()`` now (kept unless ``keep(value)`` is false).

        An exception from ``compute`` reaches the caller and nothing is kept, so the next call tries again.
        """
        with self._lock:
            known = self._known(key)
            if known is not None:
                return known[0]
            pending = self._pending.setdefault(key, _Pending())
            pending.users += 1
        try:
            with pending.lock:
                with self._lock:
                    known = self._known(key)
                if known is not None:
                    return known[0]
                value = compute()
                if keep is None or keep(value):
                    self._store(key, value)
                return value
        finally:
            with self._lock:
                pending.users -= 1
                if pending.users == 0:
                    del self._pending[key]

    def _known(self, key: K) -> tuple[V] | None:
        """(value,) when ``key`` is known (then it becomes the most recently used), else None. Hold ``_lock``."""
        if key not in self._values:
            return None
        self._values.move_to_end(key)
        return (self._values[key],)

    def _store(self, key: K, value: V) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while self._capacity is not None and len(self._values) > self._capacity:
                self._values.popitem(last=False)
