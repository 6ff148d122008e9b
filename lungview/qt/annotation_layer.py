"""SEG and RTSTRUCT overlays on the viewer: read in the background, drawn over the axial, coronal and sagittal views.

:func:`install_annotations` adds the layer to a :class:`~lungview.qt.main_window.MainWindow`: when a series opens,
the annotation objects of the scan that belong to it (:func:`lungview.annotations.loading.annotations_of`) are read
on a runner, listed under the series in the series browser, and drawn by a transparent painter over each slice
view (outline or fill, a colour per region, a legend, an opacity). What could not be drawn goes to the status bar
in one line. The masks and RGBA images come from :mod:`lungview.annotations`; here they are only painted.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QWidget

from lungview.annotations.loading import SeriesAnnotations, annotations_of, load_annotations
from lungview.annotations.render import legend, plane_masks, render_rgba
from lungview.qt.qimages import rgba_qimage
from lungview.volume import ScanResult, Series

OPACITIES = (0.25, 0.5, 0.75, 1.0)
DEFAULT_OPACITY = 0.75
STATUS_MS = 30_000
LEGEND_MAX_WIDTH = 320
"""Legend names longer than this many logical pixels are elided on the left."""


class AnnotationPainter(QWidget):
    """A transparent child of a slice view that paints the annotation image of its plane and the legend."""

    def __init__(self, view: QWidget, plane: str, layer: AnnotationLayer) -> None:
        super().__init__(view)
        self._view = view
        self._plane = plane
        self._layer = layer
        self._key: tuple | None = None
        self._image: QImage | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(view.rect())
        view.installEventFilter(self)
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._view and event.type() == QEvent.Type.Resize:
            self.setGeometry(self._view.rect())
        return False

    def has_drawing(self) -> bool:
        """True when the last paint drew annotation pixels."""
        return self._image is not None

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        image = self._view.image() if self._view.has_image() else None
        if image is None or not self._layer.visible():
            self._image = None
            return
        key = (*self._layer.key(self._plane), image.shape)
        if key != self._key:
            self._key = key
            rgba = self._layer.plane_rgba(self._plane, image.shape)
            self._image = None if rgba is None else rgba_qimage(rgba)
        painter = QPainter(self)
        if self._image is not None:
            painter.drawImage(self._view.image_rect(), self._image)
        self._paint_legend(painter)
        painter.end()

    def _shows_legend(self) -> bool:
        """The axial view carries the legend; another view only while the axial one is hidden."""
        axial = self._layer.painters.get("axial")
        return self._plane == "axial" or axial is None or not axial.isVisible()

    def _paint_legend(self, painter: QPainter) -> None:
        entries = self._layer.legend() if self._shows_legend() else []
        if not entries:
            return
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        line = metrics.height() + 2
        width = min(LEGEND_MAX_WIDTH, round(self.width() * 0.8))
        # Top right, under the four lines of corner text there, in one column; names elided on the left keep their
        # distinct end.
        top = 6.5 * line
        texts = [metrics.elidedText(name, Qt.TextElideMode.ElideLeft, width) for name, _ in entries]
        left = self.width() - 8 - max(metrics.horizontalAdvance(text) for text in texts)
        for number, (text, (_, colour)) in enumerate(zip(texts, entries)):
            y = top + number * line
            painter.fillRect(QRectF(left - 16, y - line + 5, 10, line - 6), QColor(*colour))
            painter.setPen(QColor(0, 0, 0, 220))
            painter.drawText(QPointF(left + 1, y - 3), text)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(QPointF(left, y - 4), text)


class AnnotationLayer(QObject):
    """Reads the annotations of the open series in the background and tells the painters what to draw.

    Signals
    -------
    loaded(object)
        The :class:`~lungview.annotations.loading.SeriesAnnotations` of the open series were read.
    """

    loaded = Signal(object)

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._scan: ScanResult | None = None
        self._annotations: SeriesAnnotations | None = None
        self._mode = "outline"
        self._opacity = DEFAULT_OPACITY
        self._runner = window.create_runner("annotations")
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self._create_actions()
        self.painters = {plane: AnnotationPainter(view, plane, self) for plane, view in window.mpr.views.items()}
        window.scan_finished.connect(self._on_scan_finished)
        window.series_changed.connect(self._on_series_changed)

    # ----------------------------------------------------------------- state
    def annotations(self) -> SeriesAnnotations | None:
        """What was read for the open series (None while reading or before)."""
        return self._annotations

    def is_loading(self) -> bool:
        return self._runner.is_busy()

    def visible(self) -> bool:
        return self.toggle_action.isChecked()

    def set_mode(self, mode: str) -> None:
        """``"outline"`` or ``"fill"``."""
        self.fill_action.setChecked(mode == "fill")

    def set_opacity(self, opacity: float) -> None:
        self._opacity = float(opacity)
        for value, action in self.opacity_actions.items():
            action.setChecked(abs(value - self._opacity) < 1e-6)
        self._repaint()

    def key(self, plane: str) -> tuple:
        """What a painter's image depends on, besides the image shape."""
        position = self._window.current_index() if plane == "axial" else self._window.mpr.position(plane)
        return (id(self._annotations), plane, position, self._mode, self._opacity, id(self._window.mpr.volume()))

    def plane_rgba(self, plane: str, shape: tuple[int, int]) -> np.ndarray | None:
        """The annotation image of ``plane`` as it is shown now, or None."""
        if self._annotations is None or not self._annotations.overlays:
            return None
        volume = self._window.mpr.volume()
        position = self._window.current_index() if plane == "axial" else self._window.mpr.position(plane)
        masks = plane_masks(self._annotations.overlays, plane, position, shape, volume)
        return render_rgba(masks, shape, self._mode, self._opacity)

    def legend(self) -> list[tuple[str, tuple[int, int, int]]]:
        return legend(self._annotations.overlays) if self._annotations is not None else []

    # --------------------------------------------------------------- actions
    def _create_actions(self) -> None:
        window = self._window
        self.toggle_action = QAction("Annotations (SEG, RTSTRUCT, SR regions)", window)
        self.toggle_action.setCheckable(True)
        self.toggle_action.setChecked(True)
        self.toggle_action.setShortcut("O")
        self.toggle_action.toggled.connect(lambda _on: self._repaint())
        self.fill_action = QAction("Fill annotations (else outline)", window)
        self.fill_action.setCheckable(True)
        self.fill_action.setShortcut("Shift+O")
        self.fill_action.toggled.connect(self._on_fill_toggled)
        group = QActionGroup(window)
        self.opacity_actions: dict[float, QAction] = {}
        for value in OPACITIES:
            action = QAction(f"Annotation opacity {round(value * 100)} %", window)
            action.setCheckable(True)
            action.setChecked(value == DEFAULT_OPACITY)
            action.triggered.connect(lambda _=False, v=value: self.set_opacity(v))
            group.addAction(action)
            self.opacity_actions[value] = action
        window.add_shortcut_action(self.toggle_action)
        window.add_shortcut_action(self.fill_action)
        menu = window.view_menu.addMenu("A&nnotations")
        menu.addActions([self.toggle_action, self.fill_action])
        menu.addSeparator()
        menu.addActions(list(self.opacity_actions.values()))

    def _on_fill_toggled(self, fill: bool) -> None:
        self._mode = "fill" if fill else "outline"
        self._repaint()

    def _repaint(self) -> None:
        for painter in self.painters.values():
            painter.update()

    # ----------------------------------------------------------------- slots
    @Slot(object)
    def _on_scan_finished(self, scan: ScanResult) -> None:
        self._scan = scan
        browser = self._window.series_browser
        for row, series in enumerate(scan.series):
            objects = annotations_of(series, scan)
            if objects:
                browser.set_annotations(row, [f"{a.kind}: {a.label}" for a in objects])

    @Slot(object)
    def _on_series_changed(self, series: Series) -> None:
        self._annotations = None
        self._repaint()
        objects = annotations_of(series, self._scan) if self._scan is not None else ()
        if objects:
            self._runner.submit(load_annotations, series, objects)
        else:
            self._runner.submit(lambda: None)  # supersedes a read still running for the previous series

    @Slot(int, object)
    def _on_finished(self, _generation: int, result: SeriesAnnotations | None) -> None:
        series = self._window.current_series()
        if result is None or series is None or result.series_uid != series.series_uid:
            return
        self._annotations = result
        line = result.status_line()
        if line:
            self._window.statusBar().showMessage(line, STATUS_MS)
        self._repaint()
        self.loaded.emit(result)

    @Slot(int, object)
    def _on_failed(self, _generation: int, error: object) -> None:
        self._window.statusBar().showMessage(f"Annotations not drawn: {error}", STATUS_MS)


def install_annotations(window) -> AnnotationLayer:
    """Add the annotation layer (View → Annotations, keys O and Shift+O) to ``window`` (a MainWindow)."""
    return AnnotationLayer(window)
