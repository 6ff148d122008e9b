"""The Findings dock: record Agree / Disagree / Unsure (+ the reviewer's Lung-RADS category, a note and the rulers
or ROIs drawn in any plane) for the slice on screen, list and filter saved findings, reopen one, export the log as CSV.

The panel reads the slice under review through a callable (``current_reviewed``) when the user saves, so a result
the user has already left is never recorded against the wrong slice (an AI snapshot naming another slice counts as
no result). :func:`install_findings_panel` docks it in
the main window and navigates there when a finding is reopened.
"""

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lungview.findings import (
    DECISIONS,
    LUNG_RADS_BASE_CATEGORIES,
    Finding,
    FindingLocation,
    FindingsError,
    FindingsLog,
    Measurement,
    ReviewedSlice,
    export_findings_csv,
    locate_finding,
    reviewed_slice,
)
from lungview.qt.errors import show_error
from lungview.qt.series_jump import show_in_scan
from lungview.reports import AiSnapshot
from lungview.volume import ScanResult

log = logging.getLogger(__name__)

NO_CATEGORY = "none"
ALL_DECISIONS = "All decisions"
ALL_MODELS = "All models"
TABLE_COLUMNS = ("Slice", "Decision", "Lung-RADS", "Note", "Measurements", "Model", "Saved (UTC)", "Series")
NO_MEASUREMENTS = "No measurement added: draw a ruler or ROI in any plane, then Add."


class FindingsPanel(QWidget):
    """Review form above, findings log below.

    Signals
    -------
    finding_saved(Finding)
        A finding was stored (it is already on disk).
    reopen_requested(FindingLocation)
        The user asked to go back to a finding's slice.
    """

    finding_saved = Signal(object)
    reopen_requested = Signal(object)

    def __init__(
        self,
        findings_log: FindingsLog,
        current_reviewed: Callable[[], ReviewedSlice | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._log = findings_log
        self._current_reviewed = current_reviewed
        self._current_series_uid: str | None = None
        self._shown: list[Finding] = []
        self._last_measurement: Measurement | None = None
        self._pending: list[Measurement] = []

        self.subject_label = QLabel(self)
        self.subject_label.setWordWrap(True)
        self.decision_group = QButtonGroup(self)
        self.decision_buttons = {name: QRadioButton(name.capitalize(), self) for name in DECISIONS}
        for button in self.decision_buttons.values():
            self.decision_group.addButton(button)
        self.category_box = QComboBox(self)
        self.category_box.addItems([NO_CATEGORY, *LUNG_RADS_BASE_CATEGORIES])
        self.category_box.setToolTip("Your own ACR Lung-RADS v2022 category; the model gives none")
        self.significant_box = QCheckBox("S", self)
        self.significant_box.setToolTip("Lung-RADS modifier S: clinically significant finding unrelated to lung cancer")
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setPlaceholderText("Note (optional)")
        self.note_edit.setMaximumHeight(70)
        self.measurements_label = QLabel(NO_MEASUREMENTS, self)
        self.measurements_label.setWordWrap(True)
        self.add_measurement_button = QPushButton("Add last measurement", self)
        self.add_measurement_button.setToolTip("Keep the ruler or ROI drawn last (any plane) with this finding")
        self.clear_measurements_button = QPushButton("Clear", self)
        self.save_button = QPushButton("Save finding", self)

        self.series_filter = QComboBox(self)
        self.series_filter.addItems(["All series", "This series"])
        self.decision_filter = QComboBox(self)
        self.decision_filter.addItems([ALL_DECISIONS, *DECISIONS])
        self.model_filter = QComboBox(self)
        self.model_filter.addItem(ALL_MODELS)
        self.table = QTableWidget(0, len(TABLE_COLUMNS), self)
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.reopen_button = QPushButton("Open slice", self)
        self.export_button = QPushButton("Export CSV…", self)

        self._lay_out()
        self._connect()
        self.refresh_current()
        self.reload()

    def _lay_out(self) -> None:
        review = QGroupBox("Review this slice", self)
        decisions = QHBoxLayout()
        for button in self.decision_buttons.values():
            decisions.addWidget(button)
        category = QHBoxLayout()
        category.addWidget(self.category_box)
        category.addWidget(self.significant_box)
        category.addStretch()
        form = QFormLayout(review)
        form.addRow(self.subject_label)
        form.addRow("AI result:", decisions)
        form.addRow("Lung-RADS:", category)
        form.addRow(self.note_edit)
        measurement_buttons = QHBoxLayout()
        measurement_buttons.addWidget(self.add_measurement_button)
        measurement_buttons.addWidget(self.clear_measurements_button)
        measurement_buttons.addStretch()
        form.addRow(self.measurements_label)
        form.addRow(measurement_buttons)
        form.addRow(self.save_button)

        logged = QGroupBox("Findings log", self)
        filters = QHBoxLayout()
        for widget in (self.series_filter, self.decision_filter, self.model_filter):
            filters.addWidget(widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reopen_button)
        buttons.addStretch()
        buttons.addWidget(self.export_button)
        log_layout = QVBoxLayout(logged)
        log_layout.addLayout(filters)
        log_layout.addWidget(self.table)
        log_layout.addLayout(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(review)
        layout.addWidget(logged, stretch=1)

    def _connect(self) -> None:
        self.decision_group.buttonToggled.connect(self._update_enabled)
        self.save_button.clicked.connect(self.save_current)
        self.add_measurement_button.clicked.connect(self.add_last_measurement)
        self.clear_measurements_button.clicked.connect(self.clear_measurements)
        for box in (self.series_filter, self.decision_filter, self.model_filter):
            box.currentIndexChanged.connect(self.reload)
        self.table.itemSelectionChanged.connect(self._update_enabled)
        self.table.cellDoubleClicked.connect(lambda row, _column: self._reopen_row(row))
        self.reopen_button.clicked.connect(lambda: self._reopen_row(self.table.currentRow()))
        self.export_button.clicked.connect(self.export_csv_dialog)

    # ------------------------------------------------------------------ inputs
    @Slot()
    def refresh_current(self) -> None:
        """Re-read the slice under review (call when the slice or its AI result changes)."""
        reviewed = self._current_reviewed()
        if reviewed is None:
            self.subject_label.setText("No AI result on this slice yet: analyse it to record a finding.")
        else:
            top = max(reviewed.probabilities.items(), key=lambda item: item[1], default=("-", 0.0))
            self.subject_label.setText(
                f"Slice {reviewed.slice_index + 1} · {reviewed.model_id} {reviewed.model_version}: "
                f"{top[0]} {top[1]:.2f}"
            )
        self._update_enabled()

    def set_current_series(self, series_uid: str | None) -> None:
        """The series on screen, for the "This series" filter."""
        self._current_series_uid = series_uid
        if self.series_filter.currentIndex() == 1:
            self.reload()

    def set_last_measurement(self, measurement: Measurement | None) -> None:
        """The ruler or ROI drawn last in the viewer (what Add keeps); None when there is none."""
        self._last_measurement = measurement
        self._update_enabled()

    @Slot()
    def add_last_measurement(self) -> None:
        """Keep the last measurement with the finding being written (once)."""
        if self._last_measurement is not None and self._last_measurement not in self._pending:
            self._pending.append(self._last_measurement)
            self._show_pending()

    @Slot()
    def clear_measurements(self) -> None:
        """Drop the measurements added to the finding being written."""
        self._pending.clear()
        self._show_pending()

    def pending_measurements(self) -> list[Measurement]:
        """The measurements the next saved finding will keep."""
        return list(self._pending)

    def _show_pending(self) -> None:
        lines = [measurement.summary() for measurement in self._pending]
        self.measurements_label.setText("\n".join(lines) if lines else NO_MEASUREMENTS)
        self._update_enabled()

    def set_decision(self, decision: str) -> None:
        """Tick ``decision`` (agree, disagree or unsure) in the form."""
        self.decision_buttons[decision].setChecked(True)

    # ----------------------------------------------------------------- actions
    def chosen_category(self) -> str | None:
        """The Lung-RADS category chosen in the form, with the S modifier when ticked; None for none."""
        category = self.category_box.currentText()
        if category == NO_CATEGORY:
            return None
        return category + ("S" if self.significant_box.isChecked() else "")

    def chosen_decision(self) -> str | None:
        return next((name for name, button in self.decision_buttons.items() if button.isChecked()), None)

    @Slot()
    def save_current(self) -> Finding | None:
        """Save the form as a finding of the slice under review now; clear the form; return the finding."""
        reviewed, decision = self._current_reviewed(), self.chosen_decision()
        if reviewed is None or decision is None:
            self.refresh_current()
            return None
        try:
            finding = self._log.save(
                reviewed, decision, self.chosen_category(), self.note_edit.toPlainText().strip(), tuple(self._pending)
            )
        except (FindingsError, ValueError) as error:
            show_error(f"The finding was not saved: {error}", error, self)
            return None
        self._clear_form()
        self._refresh_model_filter()
        self.reload()
        self.finding_saved.emit(finding)
        return finding

    def _clear_form(self) -> None:
        self.decision_group.setExclusive(False)
        for button in self.decision_buttons.values():
            button.setChecked(False)
        self.decision_group.setExclusive(True)
        self.category_box.setCurrentIndex(0)
        self.significant_box.setChecked(False)
        self.note_edit.clear()
        self.clear_measurements()

    def _filters(self) -> dict:
        decision = self.decision_filter.currentText()
        model = self.model_filter.currentText()
        this_series = self.series_filter.currentIndex() == 1
        return {
            "series_uid": (self._current_series_uid or "") if this_series else None,
            "decision": None if decision == ALL_DECISIONS else decision,
            "model_id": None if model == ALL_MODELS else model,
        }

    def _refresh_model_filter(self) -> None:
        current = self.model_filter.currentText()
        self.model_filter.blockSignals(True)
        self.model_filter.clear()
        self.model_filter.addItems([ALL_MODELS, *self._log.model_ids()])
        self.model_filter.setCurrentText(current)
        self.model_filter.blockSignals(False)

    @Slot()
    def reload(self) -> None:
        """Show the saved findings that match the filters, newest first."""
        if self.model_filter.count() == 1:
            self._refresh_model_filter()
        try:
            self._shown = self._log.find(**self._filters())
        except FindingsError as error:
            show_error("The findings log cannot be read.", error, self)
            self._shown = []
        self.table.setRowCount(len(self._shown))
        for row, finding in enumerate(self._shown):
            reviewed = finding.reviewed
            values = (
                str(reviewed.slice_index + 1), finding.decision, finding.lung_rads or "", finding.note,
                "; ".join(measurement.summary() for measurement in finding.measurements),
                f"{reviewed.model_id} {reviewed.model_version}", finding.recorded_at[:16].replace("T", " "),
                reviewed.series_uid,
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self._update_enabled()

    def shown_findings(self) -> list[Finding]:
        """The findings listed now, top to bottom."""
        return list(self._shown)

    def _reopen_row(self, row: int) -> None:
        if 0 <= row < len(self._shown):
            self.reopen_requested.emit(self._shown[row].location)

    def export_csv(self, path: str | Path) -> int:
        """Write the listed findings to ``path`` as CSV; return the number of rows."""
        return export_findings_csv(self._shown, path)

    @Slot()
    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export findings as CSV", "findings.csv", "CSV files (*.csv)")
        if not path:
            return
        try:
            self.export_csv(path)
        except OSError as error:
            show_error(f"The findings could not be written to {path}.", error, self)

    @Slot()
    def _update_enabled(self) -> None:
        self.save_button.setEnabled(self.chosen_decision() is not None and self._current_reviewed() is not None)
        self.reopen_button.setEnabled(0 <= self.table.currentRow() < len(self._shown))
        self.add_measurement_button.setEnabled(
            self._last_measurement is not None and self._last_measurement not in self._pending
        )
        self.clear_measurements_button.setEnabled(bool(self._pending))
        self.export_button.setEnabled(bool(self._shown))


def current_reviewed_slice(window, snapshot: AiSnapshot | None) -> ReviewedSlice | None:
    """The slice on ``window`` (a MainWindow) with ``snapshot``'s AI result, or None without a result for it."""
    series = window.current_series()
    if series is None or snapshot is None:
        return None
    index = window.current_index()
    if not snapshot.belongs_to(series.slices[index]):
        return None
    model = snapshot.model
    return reviewed_slice(series, index, model.model_id, model.version, model.sha256, snapshot.result.probabilities)


def install_findings_panel(window, current_snapshot: Callable[[], AiSnapshot | None],
                           findings_log: FindingsLog | None = None) -> FindingsPanel | None:
    """Dock a :class:`FindingsPanel` in ``window`` (a :class:`~lungview.qt.main_window.MainWindow`) and wire it.

    ``current_snapshot`` returns the AI result on screen (the AI panel knows), or None while there is none. The
    panel refreshes on every slice change; call ``panel.refresh_current()`` when a result arrives. Returns None,
    after telling the user, when the findings log cannot be opened.
    """
    if findings_log is None:
        try:
            findings_log = FindingsLog()
        except FindingsError as error:
            show_error("The findings log cannot be opened; findings cannot be saved in this session.", error, window)
            return None
        window.destroyed.connect(lambda *_: findings_log.close())
    panel = FindingsPanel(findings_log, lambda: current_reviewed_slice(window, current_snapshot()), window)
    window.add_panel(panel, "Findings")
    window.slice_changed.connect(lambda _index: panel.refresh_current())
    window.series_changed.connect(lambda series: panel.set_current_series(series.series_uid))
    panel.reopen_requested.connect(lambda location: reopen_finding(window, location))
    window.measurement_made.connect(panel.set_last_measurement)
    window.series_changed.connect(lambda _series: panel.set_last_measurement(None))
    panel.add_measurement_action = QAction("Add the last measurement to the finding", window)
    panel.add_measurement_action.setShortcut(QKeySequence("Shift+M"))
    panel.add_measurement_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    panel.add_measurement_action.triggered.connect(panel.add_last_measurement)
    window.add_shortcut_action(panel.add_measurement_action)
    return panel


def reopen_finding(window, location: FindingLocation) -> None:
    """Show the finding's slice: at once when its series is loaded, else after opening its folder."""
    scan = window.scan_result()
    found = _scan_location(location, scan) if scan is not None else None
    if found is not None:
        show_in_scan(window, *found)
        return
    folder = Path(location.source_path).parent
    if not location.source_path or not folder.is_dir():
        show_error("The finding's series is not open and its folder is no longer there.", None, window)
        return
    log.debug("reopening a finding from %s", folder)
    window.series_jump.open(
        str(folder),
        lambda result: _scan_location(location, result),
        lambda: show_error("The finding's slice was not found in its folder any more.", None, window),
    )


def _scan_location(location: FindingLocation, scan: ScanResult) -> tuple[int, int] | None:
    found = locate_finding(location, scan.series)
    return None if found is None else (scan.series.index(found[0]), found[1])
