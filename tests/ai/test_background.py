"""Worker threads give the window the CPU first."""

import os
import sys
import threading

import pytest

from lungview.inference.background import BACKGROUND_NICENESS, lower_thread_priority


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is a Linux feature")
def test_a_worker_thread_is_lowered_once_and_its_children_inherit_it():
    seen = {}

    def child() -> None:
        seen["child"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def worker() -> None:
        me = threading.get_native_id()
        seen["before"] = os.getpriority(os.PRIO_PROCESS, me)
        lower_thread_priority()
        lower_thread_priority()
        seen["after"] = os.getpriority(os.PRIO_PROCESS, me)
        thread = threading.Thread(target=child)
        thread.start()
        thread.join()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["after"] == min(seen["before"] + BACKGROUND_NICENESS, 19)
    assert seen["child"] == seen["after"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == seen["before"]  # this thread untouched
