"""File → Open worklist: a triage worklist as a table, most suspicious first; a double-click opens that series.

The worklist is written by ``lungview triage`` (:mod:`lungview.triage`); this module only reads and shows it.
"""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lungview.qt.errors import show_error
from lungview.triage.rows import WorklistRow
from lungview.triage.worklist import read_worklist
from lungview.volume import ScanResult

#: (header, text of a row) per column; slice indices count from 0, as on the command line.
_COLUMNS = (
    ("Score", lambda r: "" if r.top_score is None else f"{r.top_score:.3f}"),
    ("From", lambda r: r.top_source or ""),
    ("Slice", lambda r: "" if r.top_index is None else str(r.top_index)),
    ("Findings", lambda r: "" if r.findings is None else str(r.findings)),
    ("Status", lambda r: r.status),
    ("Patient ID", lambda r: r.patient_id),
    ("Accession", lambda r: r.accession_number),
    ("Study date", lambda r: r.study_date),
    ("Series", lambda r: r.description),
    ("Slices", lambda r: str(r.slice_count)),
    ("Reason", lambda r: r.reason),
)
_IDENTIFIER_COLUMNS = ("Patient ID", "Accession")


class WorklistDialog(QDialog):
    """The rows of a worklist in a read-only table, in the worklist's order (most suspicious first)."""

    series_requested = Signal(object)
    """A :class:`~lungview.triage.rows.WorklistRow` the user double-clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Worklist")
        self.resize(900, 500)
        self.summary = QLabel()
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels([header for header, _ in _COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.cellDoubleClicked.connect(self._on_cell_double_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self._rows: list[WorklistRow] = []

    def set_rows(self, rows: list[WorklistRow], hide_identifiers: bool = False) -> None:
        """Show ``rows`` in their order; ``hide_identifiers`` hides the patient ID and accession number."""
        self._rows = list(rows)
        self.table.setRowCount(len(self._rows))
        for number, row in enumerate(self._rows):
            for column, (_, text) in enumerate(_COLUMNS):
                self.table.setItem(number, column, QTableWidgetItem(text(row)))
        for column, (header, _) in enumerate(_COLUMNS):
            self.table.setColumnHidden(column, hide_identifiers and header in _IDENTIFIER_COLUMNS)
        done = sum(row.status == "done" for row in self._rows)
        self.summary.setText(
            f"{len(self._rows)} series, {done} analysed, most suspicious first. Double-click a series to open it "
            "at its top finding. A second reader, not a diagnosis."
        )

    def rows(self) -> list[WorklistRow]:
        """The rows shown, in display order."""
        return list(self._rows)

    @Slot(int, int)
    def _on_cell_double_clicked(self, row: int, _column: int) -> None:
        self.series_requested.emit(self._rows[row])


def row_location(row: WorklistRow, result: ScanResult) -> tuple[int, int | None] | None:
    """Where ``row`` is in a scan of its folder: (series index, its top slice), or None when the series is not there."""
    matching = [number for number, series in enumerate(result.series) if series.series_uid == row.series_uid]
    if not matching:
        return None
    _, _, stack = row.series_key.partition("#")  # a series UID split into stacks: the stack's number
    return matching[min(int(stack) - 1, len(matching) - 1)] if stack.isdigit() else matching[0], row.top_index


def open_worklist(window, path: str | None = None) -> WorklistDialog | None:
    """Ask for a worklist file (unless ``path`` is given), read it and show it beside ``window``."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Open worklist", "", "Worklists (*.sqlite *.db);;All files (*)")
        if not path:
            return None
    try:
        rows = read_worklist(path)
    except sqlite3.Error as error:
        show_error("The file is not a LungView worklist, or it cannot be read.", error, window)
        return None
    dialog = WorklistDialog(window)
    dialog.set_rows(rows, window.identifiers_hidden())
    dialog.series_requested.connect(lambda row: window.series_jump.open(row.folder, lambda r: row_location(row, r)))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
