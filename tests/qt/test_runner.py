"""The runner: one worker thread, the latest request wins, stale results never reach the GUI."""

import threading

import pytest

from lungview.qt.runner import Runner


@pytest.fixture
def runner(qtbot):
    runner = Runner("test")
    yield runner
    runner.shutdown()


def test_result_arrives_on_the_gui_thread(qtbot, runner):
    seen = []
    runner.finished.connect(lambda generation, result: seen.append((generation, result, threading.current_thread())))
    with qtbot.waitSignal(runner.finished):
        generation = runner.submit(lambda x: x * 2, 21)
    assert seen == [(generation, 42, threading.main_thread())]


def test_a_newer_request_drops_the_stale_result(qtbot, runner):
    release = threading.Event()
    started = threading.Event()

    def slow_job(value):
        started.set()
        release.wait(5)
        return value

    results = []
    runner.finished.connect(lambda _generation, result: results.append(result))
    runner.submit(slow_job, "stale")
    qtbot.waitUntil(started.is_set)
    runner.submit(lambda value: value, "waiting, then superseded")
    newest = runner.submit(lambda value: value, "newest")
    release.set()
    qtbot.waitUntil(lambda: results != [])
    assert results == ["newest"]
    assert runner.generation == newest


def test_cancel_reaches_the_job_and_drops_its_outcome(qtbot, runner):
    started = threading.Event()

    def job(progress, cancelled):
        started.set()
        while not cancelled():
            threading.Event().wait(0.001)
        return "cancelled job"

    results = []
    runner.finished.connect(lambda _generation, result: results.append(result))
    runner.submit(job, with_progress=True)
    qtbot.waitUntil(started.is_set)
    runner.cancel()
    # Deliveries are queued in order: once the marker arrives, a stale result would have arrived before it.
    with qtbot.waitSignal(runner.finished):
        runner.submit(lambda: "marker")
    assert results == ["marker"]


def test_progress_and_failure_are_delivered(qtbot, runner):
    progress_seen = []
    runner.progressed.connect(lambda _generation, done, total: progress_seen.append((done, total)))

    def job(progress, cancelled):
        for done in range(1, 4):
            progress(done, 3)
        raise ValueError("broken input")

    with qtbot.waitSignal(runner.failed) as blocker:
        runner.submit(job, with_progress=True)
    assert isinstance(blocker.args[1], ValueError)
    # Throttled: the first and the final step always arrive, steps in between only if 50 ms apart.
    assert progress_seen[0] == (1, 3)
    assert progress_seen[-1] == (3, 3)


def test_shutdown_ends_the_thread(qtbot):
    runner = Runner("short-lived")
    runner.submit(lambda: None)
    runner.shutdown()
    assert not any(thread.name == "lungview-short-lived" for thread in threading.enumerate())
    with pytest.raises(RuntimeError):
        runner.submit(lambda: None)
