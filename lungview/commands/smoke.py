"""``lungview smoke-test --out DIR``: the whole app once, offscreen and offline, for packaging checks.

It starts the real main window offscreen, opens the bundled sample series, classifies the slice on screen with
Grad-CAM in a background thread (torch and the model load there once the first image is up), saves a
screenshot, and exits 0; any failure exits 1 with a sentence saying what failed. Python-level networking is
blocked throughout and every attempt fails the test. ``DIR`` receives:

- ``smoke.json``: wall-clock times (``time.time()``) of the start, first image and first result, the result,
  and the network attempts, so that ``packaging/build.py`` can time a cold start from its own launch time;
- ``smoke.png``: the window after the result;
- ``app-modules.txt``: every module the run imported (the real import graph the bundle is trimmed to).
"""

import argparse
import json
import os
import socket
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HELP = "check LungView end to end, offscreen and offline: open the sample, classify with Grad-CAM, save a screenshot"

REPORT_FILE = "smoke.json"
SCREENSHOT_FILE = "smoke.png"
MODULES_FILE = "app-modules.txt"


class SmokeFailure(Exception):
    """The smoke test failed; the message says which step."""


class NetworkGuard:
    """Blocks and records every Python attempt to reach the network: name lookups and non-local connects.

    Local (``AF_UNIX``) sockets stay allowed. Use as a context manager; the original functions come back on exit.
    """

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._originals: dict[tuple[object, str], object] = {}

    def _refuse(self, what: str) -> OSError:
        self.attempts.append(what)
        return OSError(f"network access blocked by LungView's smoke test: {what}")

    def __enter__(self) -> "NetworkGuard":
        guard = self
        original_connect = socket.socket.connect
        original_connect_ex = socket.socket.connect_ex

        def connect(sock, address):
            if sock.family != getattr(socket, "AF_UNIX", None):
                raise guard._refuse(f"connect {address!r}")
            return original_connect(sock, address)

        def connect_ex(sock, address):
            if sock.family != getattr(socket, "AF_UNIX", None):
                raise guard._refuse(f"connect {address!r}")
            return original_connect_ex(sock, address)

        def lookup(name):
            def refuse(host, *args, **kwargs):
                raise guard._refuse(f"{name} {host!r}")

            return refuse

        replacements = {
            (socket.socket, "connect"): connect,
            (socket.socket, "connect_ex"): connect_ex,
            (socket, "getaddrinfo"): lookup("getaddrinfo"),
            (socket, "gethostbyname"): lookup("gethostbyname"),
            (socket, "gethostbyname_ex"): lookup("gethostbyname_ex"),
        }
        for (owner, name), replacement in replacements.items():
            self._originals[(owner, name)] = getattr(owner, name)
            setattr(owner, name, replacement)
        return self

    def __exit__(self, *exc_info) -> None:
        for (owner, name), original in self._originals.items():
            setattr(owner, name, original)
        self._originals.clear()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for smoke.json and smoke.png")
    parser.add_argument("--series", metavar="PATH", help="DICOM folder to open (default: the bundled sample series)")
    parser.add_argument("--model", metavar="ID", help="model to classify with (default: the first shipped model)")
    parser.add_argument("--weights-dir", type=Path, metavar="DIR", help="models folder (default: the shipped weights/)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S", help="seconds allowed per step (default 300)")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report: dict = {"started_at": time.time(), "frozen": bool(getattr(sys, "frozen", False))}
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    with NetworkGuard() as guard:
        try:
            _smoke(args, report)
            if guard.attempts:
                raise SmokeFailure(f"the app tried to reach the network: {'; '.join(guard.attempts)}")
        except SmokeFailure as failure:
            report["failure"] = str(failure)
        except Exception as error:  # an unforeseen error is a failed smoke test, reported with its details
            report["failure"] = f"unexpected {type(error).__name__}: {error}"
            report["traceback"] = traceback.format_exc()
        if "failure" in report:
            print(f"smoke test failed: {report['failure']}", file=sys.stderr)
            status = 1
        report["network_attempts"] = list(guard.attempts)
    report["finished_at"] = time.time()
    (args.out / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
    (args.out / MODULES_FILE).write_text("\n".join(sorted(sys.modules)) + "\n", encoding="utf-8")
    return status


def _smoke(args: argparse.Namespace, report: dict) -> None:
    """Window, first image, background classification with Grad-CAM, screenshot; fills ``report`` as it goes."""
    from lungview import __version__, paths

    report["version"] = __version__
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smoke-model")
    try:
        from PySide6.QtCore import QSettings

        from lungview.qt.app import application
        from lungview.qt.main_window import MainWindow

        application()
        # Throw-away settings: a smoke test neither reads nor changes the user's recent folders or toggles.
        settings = QSettings(str(args.out / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.slice_displayed.connect(lambda _index: report.setdefault("first_image_at", time.time()))
        try:
            window.show()
            window.open_paths([args.series or str(paths.sample_series_dir())])
            _wait(lambda: window.current_image() is not None, args.timeout, "the first slice was not displayed")
            image, series = window.current_image(), window.current_series()
            report["slice_index"] = window.current_index()
            result_future = worker.submit(_classify, args.model, args.weights_dir, image, series.has_hu)
            _wait(result_future.done, args.timeout, "the slice was not classified")
            report["result"] = result_future.result()
            report["first_result_at"] = time.time()
            screenshot = args.out / SCREENSHOT_FILE
            if not window.grab().save(str(screenshot)):
                raise SmokeFailure(f"the screenshot could not be written to {screenshot}")
            report["screenshot"] = SCREENSHOT_FILE
        finally:
            window.close()
    finally:
        worker.shutdown(wait=True, cancel_futures=True)


def _load_model(model_id: str | None, weights_dir: Path | None):
    """The chosen (or first shipped) model, loaded and verified against its card."""
    from lungview.models import ModelError, list_model_ids, load_model

    model_ids = list_model_ids(weights_dir)
    if not model_ids:
        raise SmokeFailure("no model was found in weights/")
    try:
        return load_model(model_id or model_ids[0], weights_dir)
    except ModelError as error:
        raise SmokeFailure(f"the model could not be loaded: {error}") from None


def _classify(model_id: str | None, weights_dir: Path | None, image, has_hu: bool) -> dict:
    """Load the model, then the probabilities and Grad-CAM peak (row, column in the slice's pixels) for ``image``."""
    import numpy as np

    from lungview.models import ModelError

    model = _load_model(model_id, weights_dir)
    try:
        prediction = model.predict([image], has_hu)[0]
        heatmap = model.cam(image, has_hu)
    except ModelError as error:
        raise SmokeFailure(f"the slice could not be classified: {error}") from None
    if heatmap.shape != np.asarray(image).shape or not np.isfinite(heatmap).all():
        raise SmokeFailure(f"the Grad-CAM heatmap is malformed (shape {heatmap.shape}, image {np.shape(image)})")
    peak = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    return {
        "model": {"id": model.card.id, "version": model.card.version},
        "predicted": prediction.predicted,
        "probabilities": prediction.probabilities,
        "cancer_probability": prediction.cancer_probability,
        "cam_peak": [int(peak[0]), int(peak[1])],
    }


def _wait(condition, timeout: float, failure: str) -> None:
    """Run a Qt event loop until ``condition()`` holds; SmokeFailure(``failure``) after ``timeout`` seconds.

    Polls from a timer inside ``QEventLoop.exec`` rather than calling ``processEvents`` in a loop: PySide6 6.12 on
    Python 3.11 drops a reference to None on every ``processEvents`` call, which aborts the interpreter once
    None's count runs out.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: condition() and loop.quit())
    QTimer.singleShot(round(timeout * 1000), loop.quit)
    poll.start()
    if not condition():
        loop.exec()
    poll.stop()
    if not condition():
        raise SmokeFailure(f"{failure} within {timeout:g} s")
