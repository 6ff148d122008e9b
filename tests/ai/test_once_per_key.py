"""OncePerKey: one computation per key however many threads ask, no lock kept after it, LRU capacity."""

import threading

import pytest

from lungview.inference.once_per_key import OncePerKey


def test_threads_asking_for_one_key_at_once_share_one_computation():
    cache = OncePerKey()
    started, release = threading.Event(), threading.Event()
    calls = []

    def compute():
        calls.append(1)
        started.set()
        release.wait()
        return "value"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", compute))) for _ in range(4)]
    threads[0].start()
    started.wait()
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == ["value"] * 4
    assert cache.pending_keys() == 0  # the key's lock is gone once nobody uses it


def test_a_failed_or_unkept_computation_is_not_remembered():
    cache = OncePerKey()
    with pytest.raises(ValueError):
        cache.get("k", lambda: (_ for _ in ()).throw(ValueError("no")))
    assert "k" not in cache and cache.pending_keys() == 0
    assert cache.get("k", lambda: 1, keep=lambda _value: False) == 1
    assert "k" not in cache
    assert cache.get("k", lambda: 2) == 2 and cache.get("k", lambda: 3) == 2


def test_capacity_forgets_the_least_recently_used():
    cache = OncePerKey(capacity=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 0)  # "a" used again: "b" is now the oldest
    cache.get("c", lambda: 3)
    assert "a" in cache and "c" in cache and "b" not in cache
