"""Fuzz the scanner and decoder with mutated copies of real CT files.

No crash, no hang over 2 s, every failure a reason.

Seeds are real files: two slices of the bundled sample and, when ../shared/data is there, the NEMA WG-04 CT1
slice in its seven transfer syntaxes (RLE, JPEG lossless, JPEG-LS, JPEG 2000 ...) plus one JPEG 2000 LIDC slice
and one Lung-PET-CT-Dx slice. Damage recipes are those of ``tests/dicom/test_dicom_fuzz.py`` (truncate, flip
bits, delete tags) plus two that target the parser's length fields: write a huge or odd length anywhere in the
header, and cut a span out of the middle or repeat it.

``LUNGVIEW_FUZZ_EXAMPLES`` sets the number of mutated files (default 10000, the figure every CI run checks,
about 7 minutes on 2 cores; set it higher for a longer run or lower while developing); the same variable sizes
``tests/dicom/test_dicom_fuzz.py``.
"""

import hashlib
import os
import struct
import threading
from collections import Counter
from pathlib import Path

import pytest
from dicom.test_dicom_fuzz import DAMAGES, HEADER_BYTES, damaged, scan_and_decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("LUNGVIEW_FUZZ_EXAMPLES", "10000"))
HANG_SECONDS = 2.0
"""A file that takes longer than this to scan and decode counts as a hang (a bound on a hang, not a speed target)."""

SHARED_SEEDS = (
    "dicom/nema-wg04-ct1/CT1_*",
    "dicom/lidc-idri-0001/LIDC-IDRI-0001/*/*/000022.dcm",
    "dicom/lung-pet-ct-dx-A0001/Lung-PET-CT-Dx/*/*/*/1-04.dcm",
)

LENGTH_DAMAGES = st.one_of(
    st.tuples(
        st.just("length"),
        st.integers(0, HEADER_BYTES),
        st.sampled_from([0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF, 0x80000000, 0, 1, 3, 0xFFFF]),
    ),
    st.tuples(st.just("splice"), st.floats(0, 1), st.floats(0, 0.2), st.booleans()),
)


def mutated(data: bytes, damage: tuple) -> bytes:
    """Apply a recipe: ``length`` writes a 32-bit little-endian value at a header offset; ``splice`` cuts a span
    (fraction of the file) or repeats it; the rest are :func:`dicom.test_dicom_fuzz.damaged`'s."""
    kind, *params = damage
    if kind == "length":
        offset, value = params
        offset = min(offset, max(len(data) - 4, 0))
        return data[:offset] + struct.pack("<I", value)[: len(data) - offset] + data[offset + 4:]
    if kind == "splice":
        start_fraction, length_fraction, repeat = params
        start = int(start_fraction * len(data))
        end = min(len(data), start + int(length_fraction * len(data)) + 1)
        return data[:end] + data[start:end] + data[end:] if repeat else data[:start] + data[end:]
    return damaged(data, damage)


@pytest.fixture(scope="module")
def seeds(request, sample_series_dir) -> list[bytes]:
    paths = [sample_series_dir / "1-15.dcm", sample_series_dir / "1-04.dcm"]
    try:
        shared = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        shared = None  # the sample's real slices alone still make a fuzz run
    if shared is not None:
        for pattern in SHARED_SEEDS:
            paths += sorted(shared.glob(pattern))[:7]
    return [path.read_bytes() for path in paths]


def within_hang_bound(path: Path) -> str:
    """:func:`scan_and_decode` on a worker thread; fails if it is still running after :data:`HANG_SECONDS`."""
    outcome: list = []

    def work() -> None:
        try:
            outcome.append(scan_and_decode(path))
        except BaseException as error:  # noqa: BLE001 - handed to the test thread and raised there
            outcome.append(error)

    worker = threading.Thread(target=work, name="fuzz-scan-decode", daemon=True)
    worker.start()
    worker.join(HANG_SECONDS)
    if worker.is_alive():
        raise AssertionError(f"scanning and decoding one mutated file took over {HANG_SECONDS} s (a hang)")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def test_mutated_real_files_never_crash_or_hang(tmp_path, seeds):
    path = tmp_path / "mutated.dcm"
    outcomes: Counter = Counter()
    digests: set[bytes] = set()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize="LUNGVIEW_FUZZ_EXAMPLES" not in os.environ,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(seed=st.integers(0, len(seeds) - 1), damage=st.one_of(DAMAGES, LENGTH_DAMAGES))
    def one_file(seed: int, damage: tuple) -> None:
        data = mutated(seeds[seed], damage)
        digests.add(hashlib.blake2b(data, digest_size=16).digest())
        path.write_bytes(data)
        outcomes[within_hang_bound(path)] += 1

    one_file()
    print(
        f"\n{sum(outcomes.values())} mutated files ({len(digests)} distinct) from {len(seeds)} real seeds: "
        f"{dict(outcomes)}"
    )
    assert sum(outcomes.values()) >= min(EXAMPLES, 50)
