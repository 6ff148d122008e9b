"""Slices whose decoder holds the GIL decode in worker processes: the same HU, the same errors, no child left."""

import multiprocessing
import threading

import numpy as np
import pytest
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import JPEG2000Lossless

from lungview.dicom import DecodeError, SliceStore, read_slice, scan_paths
from lungview.dicom.process_decode import decodes_in_process, read_slice_in_process, shutdown_decode_pool
from lungview.volume import SliceRef


@pytest.fixture(scope="module", autouse=True)
def one_pool_for_the_module():
    """Start the worker processes once for these tests (each start takes about a second) and end them after."""
    yield
    shutdown_decode_pool()


def _jpeg2000_ct(make_ct, instance: int):
    pixels = (np.arange(32 * 32, dtype=np.int16).reshape(32, 32) * 3 + 37 * instance - 1000).astype(np.int16)
    ds = make_ct(position=(0.0, 0.0, float(instance)), instance=instance, pixels=pixels)
    ds.compress(JPEG2000Lossless)
    return ds


def _jpeg2000_series(folder, make_ct, write, slices: int):
    for instance in range(1, slices + 1):
        write(_jpeg2000_ct(make_ct, instance), folder / f"slice{instance}.dcm")
    return scan_paths([folder]).series[0]


@pytest.fixture
def jpeg2000_series(tmp_path, make_ct, write):
    """A four-slice JPEG 2000 Lossless CT series written in memory."""
    return _jpeg2000_series(tmp_path / "j2k", make_ct, write, 4)


def test_jpeg2000_slices_decode_in_a_process_to_the_same_hu(jpeg2000_series):
    assert all(decodes_in_process(ref) for ref in jpeg2000_series.slices)
    for index in range(len(jpeg2000_series)):
        expected = read_slice(jpeg2000_series, index)
        image = read_slice_in_process(jpeg2000_series, index)
        assert image.dtype == np.float32
        np.testing.assert_array_equal(image, expected)


def test_decoding_into_out_fills_and_returns_it(jpeg2000_series):
    out = np.full((32, 32), np.nan, dtype=np.float32)

    assert read_slice_in_process(jpeg2000_series, 2, out=out) is out
    np.testing.assert_array_equal(out, read_slice(jpeg2000_series, 2))


def test_store_prefetch_and_load_use_the_processes_transparently(jpeg2000_series):
    store = SliceStore(jpeg2000_series, workers=1)
    reported = []

    store.prefetch(range(4), on_decoded=reported.append)

    assert sorted(reported) == [0, 1, 2, 3]
    for index in range(4):
        np.testing.assert_array_equal(store.load(index), read_slice(jpeg2000_series, index))


def test_a_daemonic_process_decodes_jpeg2000_on_its_own_thread(jpeg2000_series, monkeypatch):
    # a daemonic process (a Dask worker) may not start the decode pool's children
    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)

    assert not any(decodes_in_process(ref) for ref in jpeg2000_series.slices)
    np.testing.assert_array_equal(SliceStore(jpeg2000_series).load(2), read_slice(jpeg2000_series, 2))


def test_uncompressed_and_non_dicom_slices_stay_on_threads(ct_stack, tmp_path):
    series = scan_paths([ct_stack]).series[0]
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")

    assert not any(decodes_in_process(ref) for ref in series.slices)
    assert not decodes_in_process(SliceRef(str(picture), "", None, 0.0, None, None))


def test_corrupt_jpeg2000_gives_the_same_decode_error_as_on_a_thread(tmp_path, make_ct, write):
    ds = _jpeg2000_ct(make_ct, 1)
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([frame[:40]])  # the codestream header and nothing after it
    write(ds, tmp_path / "bad" / "slice.dcm")
    series = scan_paths([tmp_path / "bad"]).series[0]
    with pytest.raises(DecodeError) as on_thread:
        read_slice(series, 0)

    with pytest.raises(DecodeError) as in_process:
        read_slice_in_process(series, 0)

    assert in_process.value.reason == on_thread.value.reason
    assert "corrupt" in in_process.value.reason


def test_cancelled_prefetch_stops_at_the_slices_in_flight(tmp_path, make_ct, write):
    store = SliceStore(_jpeg2000_series(tmp_path / "j2k", make_ct, write, 8), workers=1)
    decoded = []

    store.prefetch(range(8), on_decoded=decoded.append, cancelled=lambda: bool(decoded))

    assert 1 <= len(decoded) < 8  # one slice per waiting thread at most, never the whole series


def test_shutdown_while_slices_decode_ends_each_load_with_an_image_or_a_decode_error(tmp_path, make_ct, write):
    series = _jpeg2000_series(tmp_path / "j2k", make_ct, write, 6)
    outcomes = []

    def load(index: int) -> None:
        try:
            outcomes.append(read_slice_in_process(series, index))
        except DecodeError as error:
            outcomes.append(error.reason)

    threads = [threading.Thread(target=load, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    shutdown_decode_pool()
    for thread in threads:
        thread.join(60)

    assert len(outcomes) == 6
    assert all(isinstance(outcome, np.ndarray) or "stopped" in outcome for outcome in outcomes)


@pytest.mark.shared_data
@pytest.mark.parametrize("folder", ["nema-wg04-ct1/CT1_J2KR", "nema-wg04-ct1/CT1_JLSL", "lidc-idri-0001"])
def test_real_compressed_slices_decode_in_a_process_to_the_same_hu(shared_data, folder):
    series = scan_paths([shared_data / "dicom" / folder]).series[0]
    indices = sorted({0, len(series) // 2, len(series) - 1})

    for index in indices:
        assert decodes_in_process(series.slices[index])
        np.testing.assert_array_equal(read_slice_in_process(series, index), read_slice(series, index))


def test_shutdown_ends_every_worker_process_and_a_later_decode_starts_again(jpeg2000_series):
    read_slice_in_process(jpeg2000_series, 0)
    workers = multiprocessing.active_children()

    shutdown_decode_pool()

    assert workers and not any(process.is_alive() for process in workers)
    assert multiprocessing.active_children() == []
    np.testing.assert_array_equal(read_slice_in_process(jpeg2000_series, 1), read_slice(jpeg2000_series, 1))
