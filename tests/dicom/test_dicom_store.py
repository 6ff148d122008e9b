"""SliceStore: cache without blocking, parallel prefetch, memory bound, failures kept, one decode per slice."""

import threading

import pytest

from lungview.dicom import DecodeError, SliceStore, scan_paths


@pytest.fixture
def series(ct_stack):
    return scan_paths([ct_stack]).series[0]


def test_get_never_decodes_and_load_caches(series):
    store = SliceStore(series)

    assert store.get(2) is None
    image = store.load(2)
    assert store.get(2) is image
    assert image.nbytes <= store.cached_bytes <= len(series) * image.nbytes


def test_prefetch_decodes_every_slice_and_reports_each(series):
    store = SliceStore(series, workers=3)
    reported = []

    store.prefetch(range(len(series)), on_decoded=reported.append)

    assert sorted(reported) == list(range(5))
    assert all(store.get(i) is not None for i in range(5))


def test_cache_stays_within_max_bytes_dropping_least_recently_used(series):
    one_slice = 8 * 8 * 4
    store = SliceStore(series, max_bytes=2 * one_slice)

    store.prefetch([0, 1])
    store.get(0)  # 0 is now more recent than 1
    store.load(2)

    assert store.cached_bytes <= 2 * one_slice
    assert store.get(1) is None and store.get(0) is not None and store.get(2) is not None


def test_failed_slice_keeps_its_reason(series):
    path = series.slices[3].path
    with open(path, "r+b") as file:
        file.truncate(400)
    store = SliceStore(series)
    reported = []

    store.prefetch(range(5), on_decoded=reported.append)

    assert sorted(reported) == list(range(5))
    assert store.get(3) is None and "truncated" in store.failed(3)
    assert store.failed(2) is None
    with pytest.raises(DecodeError):
        store.load(3)


def test_cancelled_prefetch_stops_submitting(series):
    store = SliceStore(series, workers=1)

    store.prefetch(range(5), cancelled=lambda: True)

    assert all(store.get(i) is None for i in range(5))


def test_concurrent_loads_of_one_slice_decode_it_once(series, monkeypatch):
    import lungview.dicom.store as store_module

    calls = []
    release = threading.Event()
    real_read_slice = store_module.read_slice

    def slow_read_slice(s, index, out=None):
        calls.append(index)
        release.wait(5)
        return real_read_slice(s, index, out)

    monkeypatch.setattr(store_module, "read_slice", slow_read_slice)
    store = SliceStore(series)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.load(1))) for _ in range(4)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)

    assert calls == [1]
    assert len(results) == 4 and all(r is results[0] for r in results)


def test_index_outside_series_is_an_index_error(series):
    with pytest.raises(IndexError):
        SliceStore(series).load(99)
