"""``lungview smoke-test --out DIR``: the whole app once, offscreen and offline, for packaging checks.

It starts the real main window with its AI panel offscreen, opens the bundled sample series, turns the Grad-CAM
overlay on (which classifies the slice on screen in the background, as a user's click does), waits for the
result and the overlay, saves a screenshot, and exits 0; any failure exits 1 with a sentence saying what failed.
Python-level networking is blocked throughout and every attempt fails the test. ``DIR`` receives:

- ``smoke.json``: wall-clock times (``time.time()``) of the start, first image, first result and first overlay,
  the result (with the back end that computed it), the network attempts, and whether torch was imported, so that
  ``packaging/build.py`` can time a cold start from its own launch time;
- ``smoke.png``: the window after the result;
- ``app-modules.txt``: every module the run imported (the real import graph the bundle is trimmed to).
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import time
import traceback
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
    parser.add_argument(
        "--timeout", type=float, default=300.0, metavar="S", help="seconds allowed per step (default 300)"
    )


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
    report["torch_imported"] = sys.modules.get("torch") is not None
    report["finished_at"] = time.time()
    (args.out / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
    (args.out / MODULES_FILE).write_text("\n".join(sorted(sys.modules)) + "\n", encoding="utf-8")
    return status


def _smoke(args: argparse.Namespace, report: dict) -> None:
    """Window with the AI panel, first image, classification and Grad-CAM overlay, screenshot; fills ``report``."""
    from PySide6.QtCore import QSettings

    from lungview import __version__, paths
    from lungview.inference.cache import ClassifierCache
    from lungview.inference.classifier import load_classifier
    from lungview.qt.ai_controller import install_ai_panel
    from lungview.qt.ai_panel import AiPanel
    from lungview.qt.app import application
    from lungview.qt.main_window import MainWindow

    report["version"] = __version__
    weights_dir = args.weights_dir or paths.weights_dir()
    if not any(weights_dir.glob("*/card.json")):
        raise SmokeFailure(f"no model was found in {weights_dir}")
    application()
    # Throw-away settings: a smoke test neither reads nor changes the user's recent folders or toggles.
    window = MainWindow(QSettings(str(args.out / "settings.ini"), QSettings.Format.IniFormat))
    onnx_cache = Path(tempfile.mkdtemp(prefix="onnx-cache-", dir=args.out))
    # An empty ONNX export cache: the smoke test is a first start, and on the PyTorch back end it must record the
    # import graph of the path that loads torch (packaging/build.py keeps what it records).
    cache = ClassifierCache(
        args.weights_dir,
        loader=lambda model_id: load_classifier(model_id, args.weights_dir, onnx_cache=onnx_cache, reuse_export=True),
    )
    ai = install_ai_panel(window, cache)
    window.slice_displayed.connect(lambda _index: report.setdefault("first_image_at", time.time()))
    ai.analysis_shown.connect(lambda shown: shown is not None and report.setdefault("first_result_at", time.time()))
    ai.overlay_shown.connect(lambda shown: shown is not None and report.setdefault("first_overlay_at", time.time()))
    try:
        window.show()
        window.open_paths([args.series or str(paths.sample_series_dir())])
        _wait(lambda: window.current_image() is not None, args.timeout, "the first slice was not displayed")
        status = window.findChild(AiPanel).status_label
        _wait(lambda: ai.model_id() is not None, args.timeout, "no model was chosen", lambda: status.text())
        ai.cam_action.setChecked(True)  # classify the slice on screen, then draw its Grad-CAM overlay
        _wait(ai.current_attention, args.timeout, "no AI result with overlay was shown", lambda: status.text())
        report["result"] = _result(ai.current_analysis(), ai.current_attention(), window.current_image())
        report["result"]["backend"] = cache.get(ai.model_id()).backend
        screenshot = args.out / SCREENSHOT_FILE
        if not window.grab().save(str(screenshot)):
            raise SmokeFailure(f"the screenshot could not be written to {screenshot}")
        report["screenshot"] = SCREENSHOT_FILE
    finally:
        window.close()


def _result(analysis, attention, image) -> dict:
    """The shown result as JSON, after checking that the heatmap covers the slice."""
    import numpy as np

    heatmap = attention.heatmap
    if heatmap.shape != np.shape(image) or not np.isfinite(heatmap).all():
        raise SmokeFailure(f"the Grad-CAM heatmap is malformed (shape {heatmap.shape}, slice {np.shape(image)})")
    prediction = analysis.classification.prediction
    return {
        "model": analysis.model_id,
        "slice_index": analysis.index,
        "predicted": prediction.predicted,
        "probabilities": prediction.probabilities,
        "cancer_probability": prediction.cancer_probability,
        "out_of_scope": list(analysis.out_of_scope),
        "cam_method": attention.method,
        "cam_peak": list(attention.peak),
    }


def _wait(condition, timeout: float, failure: str, detail=lambda: "") -> None:
    """Run a Qt event loop until ``condition()`` holds; SmokeFailure(``failure``, ``detail()``) after ``timeout`` s.

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
        said = detail()
        raise SmokeFailure(f"{failure} within {timeout:g} s" + (f" (the app said: {said})" if said else ""))
