"""Fuzzing: truncated, bit-flipped and tag-deleted copies of real and compressed files never crash or hang.

``LUNGVIEW_FUZZ_EXAMPLES`` sets the number of examples (default 150; the long run uses 10000).
"""

import io
import os
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.uid import JPEG2000Lossless, RLELossless

from lungview.dicom import DecodeError, read_header, read_slice, scan_paths

EXAMPLES = int(os.environ.get("LUNGVIEW_FUZZ_EXAMPLES", "150"))
#: Seconds one mutated file may take to scan and decode before it counts as a hang.
HANG_SECONDS = 20
#: Most DICOM structure lives in the first few kilobytes; flips there exercise the parser, not just pixels.
HEADER_BYTES = 4096


def _seed_files(sample_series_dir: Path, make_ct) -> list[bytes]:
    """A real CT slice, plus small CT slices uncompressed, RLE and JPEG 2000 (made here, not downloaded)."""
    pixels = (np.arange(32 * 32, dtype=np.int16).reshape(32, 32) * 3) - 500
    seeds = [(sample_series_dir / "1-15.dcm").read_bytes()]
    for syntax in (None, RLELossless, JPEG2000Lossless):
        ds = make_ct(pixels=pixels)
        if syntax is not None:
            ds.compress(syntax, generate_instance_uid=False)
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        seeds.append(buffer.getvalue())
    return seeds


#: A damage recipe, not the damaged bytes, is what hypothesis draws: failing examples then print short.
DAMAGES = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True)),
    st.tuples(
        st.just("flip"),
        st.booleans(),
        st.lists(st.tuples(st.integers(0, 2**31), st.integers(0, 7)), min_size=1, max_size=8),
    ),
    st.tuples(st.just("delete"), st.lists(st.integers(0, 10_000), min_size=1, max_size=3)),
)


def damaged(data: bytes, damage: tuple) -> bytes:
    """Apply a damage recipe: truncate at a fraction, flip bits (in the header or anywhere), or delete tags."""
    kind, *params = damage
    if kind == "truncate":
        return data[: int(params[0] * len(data))]
    if kind == "flip":
        header_only, flips = params
        limit = min(HEADER_BYTES, len(data)) if header_only else len(data)
        mutated = bytearray(data)
        for position, bit in flips:
            mutated[position % limit] ^= 1 << bit
        return bytes(mutated)
    ds = pydicom.dcmread(io.BytesIO(data))
    tags = list(ds.keys())
    for tag in {tags[i % len(tags)] for i in params[0]}:
        del ds[tag]
    buffer = io.BytesIO()
    ds.save_as(buffer)
    return buffer.getvalue()


@contextmanager
def _hang_alarm(seconds: int):
    """Fail instead of hanging (POSIX main thread only; elsewhere the test runs without the alarm)."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _timeout(signum, frame):
        raise TimeoutError(f"scanning or decoding a damaged file took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def scan_and_decode(path: Path) -> str:
    """Scan ``path`` and decode every slice found; the outcome in a word. Raises on anything but a clear refusal."""
    result = scan_paths([path])
    assert len(result.series) + len(result.skipped) >= 1
    assert all(skipped.reason.strip() for skipped in result.skipped), result.skipped
    outcome = "skipped" if result.skipped else "decoded"
    for series in result.series:
        for index, ref in enumerate(series.slices):
            read_header(ref)
            try:
                image = read_slice(series, index)
            except DecodeError as error:
                assert error.reason.strip()
                outcome = "decode refused"
                continue
            assert image.shape == (series.rows, series.columns) and image.dtype == np.float32
    return outcome


@pytest.fixture(scope="module")
def seeds(sample_series_dir, make_ct) -> list[bytes]:
    return _seed_files(sample_series_dir, make_ct)


def test_damaged_files_never_crash_or_hang(seeds):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.dcm"

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize="LUNGVIEW_FUZZ_EXAMPLES" not in os.environ,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(seed=st.integers(0, len(seeds) - 1), damage=DAMAGES)
        def one_file(seed: int, damage: tuple) -> None:
            path.write_bytes(damaged(seeds[seed], damage))
            with _hang_alarm(HANG_SECONDS):
                scan_and_decode(path)

        one_file()
