"""The skipped-files panel: every file that could not be used, with its reason, in one list."""

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from lungview.volume import SkippedFile


class SkippedFilesPanel(QTableWidget):
    """A two-column table (file, reason)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["File", "Reason"])
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSortingEnabled(True)

    def set_skipped(self, skipped: tuple[SkippedFile, ...]) -> None:
        """Replace the list."""
        self.setSortingEnabled(False)
        self.setRowCount(len(skipped))
        for row, entry in enumerate(skipped):
            path_item = QTableWidgetItem(entry.path)
            path_item.setToolTip(entry.path)
            self.setItem(row, 0, path_item)
            self.setItem(row, 1, QTableWidgetItem(entry.reason))
        self.setSortingEnabled(True)
        self.resizeColumnToContents(0)

    def skipped_rows(self) -> list[tuple[str, str]]:
        """The (file, reason) pairs shown, in display order."""
        return [(self.item(row, 0).text(), self.item(row, 1).text()) for row in range(self.rowCount())]
