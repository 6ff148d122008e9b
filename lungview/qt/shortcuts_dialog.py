"""Help → Keyboard shortcuts: the window's actions with their keys, and the mouse controls."""

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

MOUSE_CONTROLS: tuple[tuple[str, str], ...] = (
    ("Wheel", "Next / previous slice"),
    ("Ctrl+Wheel", "Zoom at the cursor"),
    ("Right-drag", "Window: left/right = width, up/down = level"),
    ("Middle-drag or Space+drag", "Pan"),
    ("Left-click or drag (no tool on)", "Move the crosshair: the other planes follow"),
    ("Wheel in the coronal / sagittal view", "Move that plane"),
    ("Left-drag (ruler on)", "Measure in mm, in any plane"),
    ("Left-drag (rectangle / ellipse / freehand ROI on)", "Mean, SD, min, max HU and area in mm²"),
    ("Drop files or a folder", "Open them"),
)


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for every action that has a shortcut, then the mouse controls."""
    rows = []
    for action in actions:
        keys = ", ".join(
            sequence.toString(QKeySequence.SequenceFormat.NativeText) for sequence in action.shortcuts()
        )
        if keys:
            rows.append((keys, action.text().replace("&", "")))
    return rows + list(MOUSE_CONTROLS)


class ShortcutsDialog(QDialog):
    """A read-only two-column table of controls."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(520, 560)
        table = QTableWidget(len(rows), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, (keys, what) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.resizeColumnToContents(0)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
