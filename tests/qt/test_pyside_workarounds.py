"""The PySide6 6.12.0 reference-count work-around keeps long sessions alive."""

import sys

from lungview.qt import pyside_workarounds


def test_tens_of_thousands_of_void_calls_and_emits_do_not_abort_the_interpreter():
    probe = pyside_workarounds._Probe()
    for _ in range(20_000):  # more than the references None and True hold in a fresh interpreter
        probe.setObjectName("probe")
        probe.pinged.emit()
    assert sys.getrefcount(None) > 0

