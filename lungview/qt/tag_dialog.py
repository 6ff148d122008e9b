"""The DICOM tags of one slice in a searchable table."""

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDialog, QHeaderView, QLineEdit, QTableView, QVBoxLayout, QWidget

from lungview.dicom import read_header
from lungview.qt.errors import show_error
from lungview.volume import Series


class TagDialog(QDialog):
    """Rows of (tag, name, value); the search box filters every column, case-insensitively."""

    def __init__(self, title: str, tags: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 560)
        self._model = QStandardItemModel(0, 3, self)
        self._model.setHorizontalHeaderLabels(["Tag", "Name", "Value"])
        for tag, name, value in tags:
            self._model.appendRow([QStandardItem(str(tag)), QStandardItem(str(name)), QStandardItem(str(value))])
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self._model)
        self._proxy.setFilterKeyColumn(-1)
        self._proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search tags, names and values")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._proxy.setFilterFixedString)
        self.table = QTableView(self)
        self.table.setModel(self._proxy)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.resizeColumnsToContents()
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table)

    def visible_row_count(self) -> int:
        """Rows left after the search filter."""
        return self._proxy.rowCount()


def show_slice_tags(series: Series, index: int, parent: QWidget) -> TagDialog | None:
    """Open the tags of slice ``index`` of ``series``; None (the error shown) when its header cannot be read."""
    try:
        tags = read_header(series.slices[index])
    except Exception as error:  # noqa: BLE001 - shown to the user by the one error path
        show_error("LungView could not read the tags of this slice.", error, parent)
        return None
    dialog = TagDialog(f"DICOM tags — slice {index + 1}", tags, parent)
    dialog.show()
    return dialog
