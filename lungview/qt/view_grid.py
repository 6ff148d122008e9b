"""The central area: the axial, coronal and sagittal views in a 1×1, 1×3 or 2×2 layout."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from lungview.planes import PLANES

LAYOUTS = ("1x1", "1x3", "2x2")
"""1×1: one plane; 1×3: the three planes side by side; 2×2: axial large top-left, coronal, sagittal, a legend."""
WIDE_ENOUGH_FOR_1X3 = 1.5
"""Width over height from which three views side by side show a slice larger than the quarters of a 2×2 grid
(a square slice: ``min(w / 3, h)`` against ``min(w / 2, h / 2)``); a narrower grid shows the 1×3 layout as 2×2."""


class ViewGrid(QWidget):
    """Lays out one :class:`~lungview.qt.slice_view.SliceView` per plane; ``set_*`` methods in, no signals."""

    def __init__(self, views: dict[str, QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._views = views
        self._layout_name = "1x1"
        self._single_plane = "axial"
        self._arranged = ""
        self.legend = QLabel(self)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("background: black; color: #ccc;")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self._arrange()

    def set_layout(self, name: str) -> None:
        """Show the planes as ``1x1``, ``1x3`` or ``2x2``."""
        if name not in LAYOUTS:
            raise ValueError(f"unknown layout {name!r}; choose one of {', '.join(LAYOUTS)}")
        self._layout_name = name
        self._arrange()

    def set_single_plane(self, plane: str) -> None:
        """The plane the 1×1 layout shows."""
        if plane not in PLANES:
            raise ValueError(f"unknown plane {plane!r}")
        self._single_plane = plane
        self._arrange()

    def layout_name(self) -> str:
        """The layout chosen (``1x3`` also while a narrow grid arranges it as 2×2)."""
        return self._layout_name

    def arrangement(self) -> str:
        """How the views are arranged now: the chosen layout, or ``2x2`` for ``1x3`` in a grid too narrow for it."""
        if self._layout_name == "1x3" and self.width() < WIDE_ENOUGH_FOR_1X3 * self.height():
            return "2x2"
        return self._layout_name

    def visible_planes(self) -> tuple[str, ...]:
        """The planes the layout shows now."""
        return (self._single_plane,) if self._layout_name == "1x1" else PLANES

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.arrangement() != self._arranged:
            self._arrange()

    def _arrange(self) -> None:
        self._arranged = arrangement = self.arrangement()
        for widget in (*self._views.values(), self.legend):
            self._grid.removeWidget(widget)
            widget.hide()
        for row in range(2):
            self._grid.setRowStretch(row, 0)
        for col in range(3):
            self._grid.setColumnStretch(col, 0)
        if arrangement == "1x1":
            cells = {self._single_plane: (0, 0)}
        elif arrangement == "1x3":
            cells = {"axial": (0, 0), "coronal": (0, 1), "sagittal": (0, 2)}
        else:
            cells = {"axial": (0, 0), "coronal": (0, 1), "sagittal": (1, 1), "legend": (1, 0)}
        for name, (row, col) in cells.items():
            widget = self.legend if name == "legend" else self._views[name]
            self._grid.addWidget(widget, row, col)
            self._grid.setRowStretch(row, 1)
            self._grid.setColumnStretch(col, 1)
            widget.show()
