"""Handling events while waiting keeps the interpreter sound however long the wait."""

import sys

from lungview.qt.events import process_events


def test_handling_events_many_times_leaves_the_references_to_none_alone(qapp):
    before = sys.getrefcount(None)
    for _ in range(2000):
        process_events()
    assert sys.getrefcount(None) > before - 200  # the static processEvents of PySide6 6.12 loses one per call
