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
from lungview.triage.worklist import read_worklist, worklist_model
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

    def set_rows(self, rows: list[WorklistRow], hide_identifiers: bool = False, model: dict | None = None) -> None:
        """Show ``rows`` in their order; ``hide_identifiers`` hides the patient ID and accession number; ``model``
        (``{"id", "version", "sha256"}``) is the model that ranked them (default: the first row's)."""
        self._rows = list(rows)
        self.table.setRowCount(len(self._rows))
        for number, row in enumerate(self._rows):
            for column, (_, text) in enumerate(_COLUMNS):
                self.table.setItem(number, column, QTableWidgetItem(text(row)))
        for column, (header, _) in enumerate(_COLUMNS):
            self.table.setColumnHidden(column, hide_identifiers and header in _IDENTIFIER_COLUMNS)
        done = sum(row.status == "done" for row in self._rows)
        not_evaluable = sum(row.status == "not_evaluable" for row in self._rows)
        if model is None and self._rows:
            first = self._rows[0]
            model = {"id": first.model_id, "version": first.model_version, "sha256": first.model_sha256}
        self.summary.setText(
            f"{len(self._rows)} series, {done} analysed, {not_evaluable} not evaluable (the model could not read "
            "them: no result), most suspicious first. Double-click a series to open it at its top finding. "
            f"A second reader, not a diagnosis.\n{model_text(model)}"
        )

    def rows(self) -> list[WorklistRow]:
        """The rows shown, in display order."""
        return list(self._rows)

    @Slot(int, int)
    def _on_cell_double_clicked(self, row: int, _column: int) -> None:
        self.series_requested.emit(self._rows[row])


def model_text(model: dict | None) -> str:
    """One line naming the model that ranked a worklist: id, version and the start of its weights' SHA-256."""
    if not model or not model.get("id"):
        return "Model: unknown"
    return f"Model: {model['id']} version {model['version']} (weights SHA-256 {model['sha256'][:12]}…)"


def row_location(row: WorklistRow, result: ScanResult) -> tuple[int, int | None] | None:
    """Where ``row`` is in a scan of its folder: (series index, its top slice), or None when the series is not there.

    The series is matched by its key (the UID, and the stack where one UID holds several), else by its UID."""
    keys = [series.key for series in result.series]
    uids = [series.series_uid for series in result.series]
    matching = [n for n, key in enumerate(keys) if key == row.series_key] or [
        n for n, uid in enumerate(uids) if uid == row.series_uid
    ]
    return (matching[0], row.top_index) if matching else None


def open_worklist(window, path: str | None = None) -> WorklistDialog | None:
    """Ask for a worklist file (unless ``path`` is given), read it and show it beside ``window``."""
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Open worklist", "", "Worklists (*.sqlite *.db);;All files (*)")
        if not path:
            return None
    try:
        rows, model = read_worklist(path), worklist_model(path)
    except sqlite3.Error as error:
        show_error("The file is not a LungView worklist, or it cannot be read.", error, window)
        return None
    dialog = WorklistDialog(window)
    dialog.set_rows(rows, window.identifiers_hidden(), model)
    dialog.series_requested.connect(lambda row: window.series_jump.open(row.folder, lambda r: row_location(row, r)))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
