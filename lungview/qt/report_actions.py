"""Report actions for the main window: export the report (PDF/PNG), export a DICOM Secondary Capture, print the
report through the Qt print dialog, and copy the current view to the clipboard.

The report itself is drawn without Qt by :mod:`lungview.reports`; here it is only saved, printed or copied.
:func:`install_report_actions` adds the actions to the window's File menu.
"""

from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Qt, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from lungview.qt.errors import show_error
from lungview.qt.runner import Runner
from lungview.reports import AiSnapshot, SliceReport
from lungview.reports.overlay import DEFAULT_OPACITY
from lungview.windowing import apply_window

PRINT_DPI = 200


def current_slice_report(window, snapshot: AiSnapshot | None) -> SliceReport | None:
    """A report of the slice on ``window`` (a MainWindow) as displayed, with ``snapshot``'s AI result if any.

    A snapshot of another slice than the one on screen is left out, never reported against the wrong slice.
    """
    series, image = window.current_series(), window.current_image()
    if series is None or image is None:
        return None
    index = window.current_index()
    if snapshot is not None and not snapshot.belongs_to(series.slices[index]):
        snapshot = None
    display_window = window.view.window
    return SliceReport(
        series=series,
        slice_index=index,
        image=apply_window(image, display_window),
        window=display_window,
        heatmap=snapshot.heatmap if snapshot else None,
        overlay_opacity=snapshot.overlay_opacity if snapshot else DEFAULT_OPACITY,
        model=snapshot.model if snapshot else None,
        result=snapshot.result if snapshot else None,
        hide_identifiers=window.identifiers_hidden(),
    )


class ReportActions(QObject):
    """Export, print and copy actions; ``current_report()`` gives the report of what is on screen, or None.

    Exports run on ``runner`` (a :class:`~lungview.qt.runner.Runner`) so the window never waits; the export actions
    stay disabled until the running export has finished, so no request is ever superseded.

    Signals
    -------
    exported(str)
        The file was written.
    export_failed(str)
        The export failed; the plain sentence already shown to the user.
    """

    exported = Signal(str)
    export_failed = Signal(str)

    def __init__(self, parent: QWidget, current_report: Callable[[], SliceReport | None], view: QWidget,
                 runner: Runner) -> None:
        super().__init__(parent)
        self._parent = parent
        self._current_report = current_report
        self._view = view
        self._runner = runner
        self._export_path = ""
        runner.connect_outcomes(self._on_export_finished, self._on_export_failed)
        self.export_report_action = QAction("Export &report (PDF/PNG)…", parent)
        self.export_report_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_dicom_action = QAction("Export DICOM &Secondary Capture…", parent)
        self.print_action = QAction("&Print report…", parent)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.copy_view_action = QAction("&Copy view to clipboard", parent)
        self.copy_view_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.export_report_action.triggered.connect(self.export_report_dialog)
        self.export_dicom_action.triggered.connect(self.export_dicom_dialog)
        self.print_action.triggered.connect(self.print_dialog)
        self.copy_view_action.triggered.connect(self.copy_view)

    def actions(self) -> list[QAction]:
        return [self.export_report_action, self.export_dicom_action, self.print_action, self.copy_view_action]

    def _report_or_tell(self) -> SliceReport | None:
        report = self._current_report()
        if report is None:
            show_error("There is no slice on screen to report.", None, self._parent)
        return report

    # ------------------------------------------------------------------ export
    def export_report(self, report: SliceReport, path: str | Path) -> None:
        """Save ``report`` as PDF or PNG (by extension) in the background."""
        from lungview.reports import save_report

        self._start_export(save_report, report, str(path))

    def export_dicom(self, report: SliceReport, path: str | Path) -> None:
        """Save ``report`` as a DICOM Secondary Capture in the background; de-identified when identifiers are hidden."""
        self._start_export(write_dicom_export, report, str(path))

    def _start_export(self, job: Callable[[SliceReport, str], object], report: SliceReport, path: str) -> None:
        self._export_path = path
        self._set_exporting(True)
        self._runner.submit(job, report, path)

    def _set_exporting(self, busy: bool) -> None:
        self.export_report_action.setEnabled(not busy)
        self.export_dicom_action.setEnabled(not busy)

    @Slot(int, object)
    def _on_export_finished(self, _generation: int, _result: object) -> None:
        self._set_exporting(False)
        self.exported.emit(self._export_path)

    @Slot(int, object)
    def _on_export_failed(self, _generation: int, error: object) -> None:
        self._set_exporting(False)
        sentence = f"The export to {Path(self._export_path).name} failed: {error}"
        show_error(sentence, error if isinstance(error, BaseException) else None, self._parent)
        self.export_failed.emit(sentence)

    @Slot()
    def export_report_dialog(self) -> None:
        report = self._report_or_tell()
        if report is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self._parent, "Export report", f"lungview-slice-{report.slice_index + 1}.pdf",
            "PDF (*.pdf);;PNG image (*.png)",
        )
        if path:
            self.export_report(report, path)

    @Slot()
    def export_dicom_dialog(self) -> None:
        report = self._report_or_tell()
        if report is None:
            return
        title = "Export de-identified Secondary Capture" if report.hide_identifiers else "Export Secondary Capture"
        path, _ = QFileDialog.getSaveFileName(
            self._parent, title, f"lungview-slice-{report.slice_index + 1}.dcm", "DICOM (*.dcm)"
        )
        if path:
            self.export_dicom(report, path)

    # ------------------------------------------------------------------- print
    def report_image(self, report: SliceReport, dpi: int = PRINT_DPI) -> QImage:
        """The report page as a QImage."""
        from lungview.reports import render_report_png

        with _busy_cursor():
            return QImage.fromData(render_report_png(report, dpi), "PNG")

    @Slot()
    def print_dialog(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        report = self._report_or_tell()
        if report is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self._parent)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            print_image(printer, self.report_image(report))

    # -------------------------------------------------------------------- copy
    @Slot()
    def copy_view(self) -> None:
        """Put the slice view as shown (zoom, pan, overlay and text) on the clipboard as an image."""
        QGuiApplication.clipboard().setImage(self._view.grab().toImage())


def write_dicom_export(report: SliceReport, path: str) -> None:
    """Background job: the Secondary Capture of ``report``, de-identified when its identifiers are hidden."""
    from lungview.reports import write_secondary_capture

    write_secondary_capture(report, path, deidentify=report.hide_identifiers)


def print_image(printer, image: QImage) -> None:
    """Paint ``image`` on one page of ``printer`` (a QPagedPaintDevice), scaled to fit with its aspect kept."""
    painter = QPainter(printer)
    try:
        page = painter.viewport()
        size = image.size().scaled(page.size(), Qt.AspectRatioMode.KeepAspectRatio)
        painter.setViewport(QRect(page.x(), page.y(), size.width(), size.height()))
        painter.setWindow(image.rect())
        painter.drawImage(0, 0, image)
    finally:
        painter.end()


@contextmanager
def _busy_cursor():
    """Show the wait cursor for the duration of a ``with`` block (drawing the page to print takes a second or two)."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


def install_report_actions(window, current_snapshot: Callable[[], AiSnapshot | None] = lambda: None) -> ReportActions:
    """Add the report actions to ``window``'s File menu (a MainWindow); ``current_snapshot`` comes from the AI panel."""
    actions = ReportActions(window, lambda: current_slice_report(window, current_snapshot()), window.view,
                            window.create_runner("export"))
    actions.exported.connect(lambda path: window.statusBar().showMessage(f"Saved {Path(path).name}", 10000))
    file_menu = getattr(window, "file_menu", None) or window.menuBar().actions()[0].menu()
    first = file_menu.actions()[-1] if file_menu.actions() else None  # keep Quit last
    for action in actions.actions():
        file_menu.insertAction(first, action)
        window.addAction(action)  # shortcuts work with the menu bar hidden
    file_menu.insertSeparator(first)
    return actions


def install_reporting(window, ai_controller) -> None:
    """Add the report actions and the Findings dock to ``window``, fed by the AI panel's ``ai_controller``."""
    from lungview.qt.findings_panel import install_findings_panel

    install_report_actions(window, ai_controller.current_snapshot)
    findings = install_findings_panel(window, ai_controller.current_snapshot)
    if findings is not None:
        ai_controller.analysis_shown.connect(lambda _analysis: findings.refresh_current())
