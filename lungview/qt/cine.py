"""Cine: play the series as a loop, one slice forward per tick, at the frame rate in the window's spin box."""

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSpinBox


class CineController(QObject):
    """Advances ``window`` one slice (wrapping to the first) per tick while ``play_action`` is checked."""

    def __init__(self, window, play_action: QAction, fps_box: QSpinBox) -> None:
        super().__init__(window)
        self._window = window
        self._play_action = play_action
        self._fps_box = fps_box
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        fps_box.valueChanged.connect(self._on_fps_changed)

    def toggle(self, playing: bool) -> None:
        """Start playing (only with a series open) or stop."""
        if playing and self._window.current_series() is not None:
            self._timer.start(_interval_ms(self._fps_box.value()))
        else:
            self._timer.stop()
        self._play_action.setChecked(self._timer.isActive())

    def stop(self) -> None:
        """Stop playing (a new series, the window closing)."""
        self.toggle(False)

    def is_playing(self) -> bool:
        """True while the cine runs."""
        return self._timer.isActive()

    @Slot()
    def _on_tick(self) -> None:
        series = self._window.current_series()
        if series is not None:
            self._window.set_slice((self._window.current_index() + 1) % len(series))

    @Slot(int)
    def _on_fps_changed(self, fps: int) -> None:
        if self._timer.isActive():
            self._timer.setInterval(_interval_ms(fps))


def _interval_ms(fps: int) -> int:
    return max(1, round(1000 / fps))
