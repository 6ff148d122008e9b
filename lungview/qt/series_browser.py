"""The series browser: one entry per series with a thumbnail, description, modality, slice count and spacing."""

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from lungview.qt.qimages import grey_qimage
from lungview.volume import Series

THUMBNAIL_SIZE = 64


def series_summary(series: Series) -> str:
    """Two lines describing ``series`` for the browser."""
    spacing = "spacing unknown"
    if series.spacing:
        z, y, x = series.spacing
        spacing = f"{x:.2f} x {y:.2f} x {z:.2f} mm"
    return f"{series.description or '(no description)'}\n{series.modality} · {len(series)} slices · {spacing}"


class SeriesBrowser(QListWidget):
    """List of series; ``series_selected(index)`` when the user picks one."""

    series_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(QSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.currentRowChanged.connect(self._on_current_row_changed)

    def set_series(self, series: tuple[Series, ...]) -> None:
        """Replace the entries (thumbnails come later through :meth:`set_thumbnail`)."""
        self.blockSignals(True)
        self.clear()
        placeholder = QPixmap(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        placeholder.fill(Qt.GlobalColor.black)  # keeps the text aligned until the thumbnail is decoded
        for entry in series:
            item = QListWidgetItem(QIcon(placeholder), series_summary(entry))
            item.setToolTip(series_summary(entry))
            self.addItem(item)
        self.blockSignals(False)

    def set_annotations(self, row: int, labels: list[str]) -> None:
        """List the annotation objects (SEG, RTSTRUCT) drawn on entry ``row`` under its description."""
        item = self.item(row)
        if item is None or not labels:
            return
        text = item.text().split("\n+ ")[0]
        item.setText(f"{text}\n+ {len(labels)} annotation(s): " + ", ".join(label.split(":")[0] for label in labels))
        item.setToolTip(item.toolTip().split("\n\nAnnotations")[0] + "\n\nAnnotations:\n" + "\n".join(labels))

    def set_current(self, index: int) -> None:
        """Highlight entry ``index`` without emitting ``series_selected``."""
        self.blockSignals(True)
        self.setCurrentRow(index)
        self.blockSignals(False)

    def set_thumbnail(self, row: int, grey: np.ndarray) -> None:
        """Show the uint8 image ``grey`` as the thumbnail of entry ``row``."""
        item = self.item(row)
        if item is None:
            return
        image = grey_qimage(grey)
        ratio = self.devicePixelRatioF()  # sharp on HiDPI screens
        pixmap = QPixmap.fromImage(image).scaled(
            round(THUMBNAIL_SIZE * ratio),
            round(THUMBNAIL_SIZE * ratio),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        pixmap.setDevicePixelRatio(ratio)
        item.setIcon(QIcon(pixmap))

    def _on_current_row_changed(self, row: int) -> None:
        if row >= 0:
            self.series_selected.emit(row)
