"""Start the real viewer (or a bare Qt window for reference) in a fresh process and time it from the outside.

The parent runs ``python -m lungview.bench.viewer_process`` and reads one JSON line from it when the awaited
moment comes: the first slice painted (``--until painted``) or every slice of the series decoded
(``--until loaded``). The child starts the viewer through :func:`lungview.qt.app.run_viewer`, exactly as
``lungview PATH`` does, and watches it with an application-wide event filter; nothing in the viewer is changed.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPORT_PREFIX = "lungview-bench-report "


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MiB.

    Linux's ``VmHWM`` counts this program only; ``ru_maxrss`` (the fallback elsewhere) also keeps the parent's peak
    from before the fork, which would hide the viewer's own figure.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_child(arguments: list[str], config_home: Path, timeout_s: float = 300.0) -> dict:
    """Run the child with ``arguments`` offscreen; its report plus ``wall_s`` from spawning it to that report.

    ``config_home`` (``XDG_CONFIG_HOME``) keeps the viewer's settings, such as its recent folders, out of the user's.

    Raises
    ------
    RuntimeError
        When the child exits or times out without reporting (its stderr tail is in the message).
    """
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(config_home)}
    command = [sys.executable, "-m", "lungview.bench.viewer_process", *arguments]
    with tempfile.TemporaryFile("w+") as stderr:  # a file, so a chatty child can never block on a full pipe
        started = time.perf_counter()
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env) as child:
            watchdog = threading.Timer(timeout_s, child.kill)  # a child that never reports must not hang the bench
            watchdog.start()
            try:
                report = _read_report(child)
                reported = time.perf_counter()
                child.wait()
            finally:
                watchdog.cancel()
        stderr.seek(0)
        errors = stderr.read()[-2000:]
    if report is None:
        raise RuntimeError(f"the viewer exited ({child.returncode}) without reporting within {timeout_s:g} s: {errors}")
    return {**report, "wall_s": reported - started}


def _read_report(child: subprocess.Popen) -> dict | None:
    for line in child.stdout:
        if line.startswith(REPORT_PREFIX):
            return json.loads(line[len(REPORT_PREFIX):])
    return None


def _report(**figures) -> None:
    print(REPORT_PREFIX + json.dumps(figures), flush=True)


def _run_viewer_child(paths: list[str], until: str, started: float) -> int:
    """Start the viewer as ``lungview PATH`` does; report the first painted slice or the fully loaded series."""
    from lungview.bench.startup_probe import FirstImagePaintWatcher, call_when_loaded
    from lungview.qt.app import application, run_viewer

    app = application()
    qt_started_mb = peak_rss_mb()  # Qt started; the viewer not yet imported or made

    def on_painted() -> None:
        _report(in_process_s=time.perf_counter() - started, peak_rss_mb=peak_rss_mb())
        app.quit()

    def on_loaded(window) -> None:
        series = window.current_series()
        _report(
            in_process_s=time.perf_counter() - started,
            slices=len(series) if series is not None else 0,
            rows=series.rows if series is not None else 0,
            columns=series.columns if series is not None else 0,
            rss_qt_started_mb=qt_started_mb,
            peak_rss_mb=peak_rss_mb(),
            ai_libraries_loaded="torch" in sys.modules,
        )
        app.quit()

    if until == "painted":
        watcher = FirstImagePaintWatcher(app, on_painted)  # noqa: F841 - parented to app, kept while it watches
    else:
        call_when_loaded(app, on_loaded)
    return run_viewer(paths)


def _run_reference_child(started: float) -> int:
    """The bare Qt window: report once it has painted its image."""
    from lungview.bench.startup_probe import run_reference_window
    from lungview.qt.app import application

    app = application()

    def on_painted() -> None:
        _report(in_process_s=time.perf_counter() - started, peak_rss_mb=peak_rss_mb())
        app.quit()

    return run_reference_window(app, on_painted)


def main(argv: list[str] | None = None) -> int:
    """Child entry point: start the viewer (or the reference window) and report once."""
    started = time.perf_counter()
    parser = argparse.ArgumentParser(
        prog="python -m lungview.bench.viewer_process", description=__doc__.splitlines()[0]
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="what the viewer opens (default: the sample)")
    parser.add_argument("--until", choices=("painted", "loaded"), default="painted")
    parser.add_argument("--reference", action="store_true", help="a bare Qt window instead of the viewer")
    args = parser.parse_args(argv)
    if args.reference:
        return _run_reference_child(started)
    return _run_viewer_child(args.paths, args.until, started)


if __name__ == "__main__":
    sys.exit(main())
