"""Put the AI result (and the attention overlay) on screen before ``lungview screenshot`` saves the window."""

import time

from lungview.qt.ai_controller import AiController
from lungview.qt.events import process_events

POLL_MS = 20


def show_ai_result(controller: AiController, with_cam: bool, timeout_s: float = 180.0) -> str | None:
    """Classify the slice on screen (and draw its overlay when ``with_cam``); None when shown, else why not."""
    controller.analyse_current()
    if with_cam:
        controller.cam_action.setChecked(True)
    deadline = time.monotonic() + timeout_s
    status = controller.panel.status_label
    while time.monotonic() < deadline:
        process_events(POLL_MS)
        if controller.current_analysis() is not None and (not with_cam or controller.current_attention() is not None):
            return None
        if status.text().startswith(("No model", "The model could not", "This slice could not", "The attention map")):
            return status.text()
        time.sleep(POLL_MS / 1000)
    return f"gave up waiting for the AI result after {timeout_s:.0f} s"
