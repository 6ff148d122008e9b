"""The one path by which errors reach the user: log, then one dialog with a plain sentence and folded details.

Used for a runner's ``failed`` signal and for ``sys.excepthook`` (3D Slicer ``tryWithErrorDisplay``, napari
``NotificationManager.install_hooks``). Per-file problems are not errors here: they go to the skipped-files list.
"""

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

log = logging.getLogger(__name__)

_open_dialogs: list[QMessageBox] = []
"""Dialogs without a parent are owned by Python: keep them referenced until the user closes them."""


def show_error(sentence: str, error: BaseException | None = None, parent: QWidget | None = None) -> QMessageBox | None:
    """Log ``error`` and show ``sentence`` in a dialog, with the traceback under "Show Details"; return the dialog."""
    details = "".join(traceback.format_exception(error)) if error is not None else ""
    log.error("%s %s", sentence, details.strip())
    if QApplication.instance() is None:
        return None
    box = QMessageBox(QMessageBox.Icon.Warning, "LungView", sentence, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_dialogs.append(box)
    box.finished.connect(lambda _result: _open_dialogs.remove(box))
    box.show()  # not exec(): an error must not stop the event loop (or a test) behind a modal loop
    return box


def _excepthook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    message = "Something went wrong inside LungView. The viewer goes on; details are below."
    show_error(message, error, QApplication.activeWindow())


def install_excepthook() -> None:
    """Send uncaught exceptions (including those raised in Qt slots) to :func:`show_error`."""
    sys.excepthook = _excepthook
