"""Watch the real viewer start, for ``lungview.bench.viewer_process``: first painted slice, series fully loaded.

Nothing in the viewer changes: an application-wide event filter sees the slice view's first paint with an image,
and the main window's ``loading_finished`` signal marks a fully decoded series. A bare Qt window that paints one
image is the reference a Python + Qt program cannot beat.
"""

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

# The viewer's own modules are imported where they are needed, so the reference window does not pay for them.


class FirstImagePaintWatcher(QObject):
    """Calls ``on_painted()`` once, right after a slice view has first painted an image."""

    def __init__(self, app: QApplication, on_painted: Callable[[], None]) -> None:
        from lungview.qt.slice_view import SliceView

        super().__init__(app)
        self._slice_view_type = SliceView
        self._on_painted = on_painted
        self._seen = False
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            not self._seen
            and event.type() == QEvent.Type.Paint
            and isinstance(watched, self._slice_view_type)
            and watched.has_image()
        ):
            self._seen = True
            QTimer.singleShot(0, self._on_painted)  # once this paint event has been handled
        return False


def call_when_loaded(app: QApplication, on_loaded: Callable[[QWidget], None]) -> None:
    """Call ``on_loaded(window)`` when the main window about to be created has decoded every slice it opened."""
    from lungview.qt.main_window import MainWindow

    def connect() -> None:
        window = next(widget for widget in app.topLevelWidgets() if isinstance(widget, MainWindow))
        window.loading_finished.connect(lambda: on_loaded(window))

    QTimer.singleShot(0, connect)  # the first thing the event loop does, once the window exists


class _ImageWidget(QWidget):
    def __init__(self, image: QImage, on_painted: Callable[[], None]) -> None:
        super().__init__()
        self._image = image
        self._on_painted = on_painted

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        QPainter(self).drawImage(self.rect(), self._image)
        if self._on_painted is not None:
            QTimer.singleShot(0, self._on_painted)
            self._on_painted = None


def run_reference_window(app: QApplication, on_painted: Callable[[], None]) -> int:
    """Show a bare window painting one 512×512 grey image, as large as the viewer's; run the event loop."""
    grey = np.random.default_rng(0).integers(0, 256, (512, 512), dtype=np.uint8)
    widget = _ImageWidget(QImage(grey.data, 512, 512, 512, QImage.Format.Format_Grayscale8), on_painted)
    widget.resize(1280, 860)
    widget.show()
    return app.exec()
