"""Measurements: what a ruler or ROI drawn in any plane measures, labelled on its view and kept as the last one."""

from PySide6.QtCore import QObject, Signal

from lungview.findings.measurement import Measurement
from lungview.planes.measure import Shape, shape_summary, summary_text

STATUS_MS = 15000
"""How long the measurement's summary stays in the status bar."""


class MeasurementController(QObject):
    """Measures the shapes drawn in ``window``'s views (``window.mpr.views``).

    Signals
    -------
    measurement_made(object)
        A :class:`~lungview.findings.measurement.Measurement` was drawn in any plane.
    """

    measurement_made = Signal(object)

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._last: Measurement | None = None
        for plane, view in window.mpr.views.items():
            view.shape_drawn.connect(lambda shape, p=plane: self.measure(p, shape))

    def last(self) -> Measurement | None:
        """The ruler or ROI drawn last in any plane since the series opened, or None."""
        return self._last

    def clear(self) -> None:
        """Forget the last measurement (a new series)."""
        self._last = None

    def measure(self, plane: str, shape: Shape) -> None:
        """Measure ``shape`` drawn on ``plane``'s view, label it there, and keep it as the last measurement."""
        window = self._window
        series = window.current_series()
        if series is None:
            return
        view = window.mpr.views[plane]
        values = shape_summary(shape, view.image(), view.pixel_spacing(), series.has_hu)
        position = None if plane == "axial" else window.mpr.position(plane)
        measurement = Measurement(shape.kind, plane, window.current_index(), position, shape.points, values)
        view.set_shape_label(summary_text(shape.kind, values, "\n"))
        window.statusBar().showMessage(measurement.summary(), STATUS_MS)
        self._last = measurement
        self.measurement_made.emit(measurement)
