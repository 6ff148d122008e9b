"""Report actions on the real window: the report of what is on screen, exports, printing to PDF, clipboard copy."""

from dataclasses import replace

import numpy as np
import pydicom
from pypdf import PdfReader
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDockWidget, QMessageBox

from lungview import INTENDED_USE
from lungview.findings import store
from lungview.qt.report_actions import (
    current_slice_report,
    install_report_actions,
    install_reporting,
    print_image,
)
from lungview.reports import AiResult, AiSnapshot, ModelSummary
from lungview.windowing import PRESETS


def snapshot(shape) -> AiSnapshot:
    model = ModelSummary("m-2", "1.0", "aa" * 32, ("normal", "cancer"), 0.5)
    heatmap = np.zeros(shape, np.float32)
    heatmap[100:150, 300:350] = 1.0
    return AiSnapshot(model, AiResult({"normal": 0.3, "cancer": 0.7}, 0.7, "cancer"), heatmap, overlay_opacity=0.6)


def test_report_of_what_is_on_screen(sample_window):
    window = sample_window
    window.apply_preset("mediastinum")
    window.hide_identifiers_action.setChecked(True)
    report = current_slice_report(window, snapshot(window.current_image().shape))
    assert report.slice_index == window.current_index() and report.window == PRESETS["mediastinum"]
    assert report.hide_identifiers and report.result.predicted == "cancer" and report.overlay_opacity == 0.6
    assert report.image.dtype == np.uint8 and report.image.shape == window.current_image().shape


def test_actions_are_in_the_file_menu_and_export_in_the_background(qtbot, sample_window, tmp_path):
    window = sample_window
    actions = install_report_actions(window, lambda: snapshot(window.current_image().shape))
    assert all(action in window.menuBar().actions()[0].menu().actions() for action in actions.actions())
    report = current_slice_report(window, snapshot(window.current_image().shape))
    with qtbot.waitSignal(actions.exported, timeout=60_000) as exported:
        actions.export_report(report, tmp_path / "r.pdf")
        assert not actions.export_dicom_action.isEnabled()  # one export at a time: none is ever superseded
    assert exported.args == [str(tmp_path / "r.pdf")] and actions.export_dicom_action.isEnabled()
    assert INTENDED_USE in PdfReader(tmp_path / "r.pdf").pages[0].extract_text()
    with qtbot.waitSignal(actions.exported, timeout=60_000):
        actions.export_dicom(report, tmp_path / "r.dcm")
    export = pydicom.dcmread(tmp_path / "r.dcm")
    assert export.SourceImageSequence[0].ReferencedSOPInstanceUID == report.slice_ref.sop_instance_uid


def test_a_failed_export_is_reported_and_the_actions_come_back(qtbot, sample_window, tmp_path):
    window = sample_window
    actions = install_report_actions(window)
    report = current_slice_report(window, None)
    with qtbot.waitSignal(actions.export_failed, timeout=60_000) as failed:
        actions.export_report(report, tmp_path / "missing-folder" / "r.pdf")
    assert "r.pdf failed" in failed.args[0]
    assert actions.export_report_action.isEnabled()
    for box in window.findChildren(QMessageBox):
        box.close()


def test_printing_the_report_page_to_a_pdf_printer(sample_window, tmp_path):
    window = sample_window
    actions = install_report_actions(window)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    print_image(printer, actions.report_image(current_slice_report(window, None), dpi=72))
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == 1


def test_copy_view_puts_the_view_on_the_clipboard(sample_window):
    window = sample_window
    actions = install_report_actions(window)
    actions.copy_view_action.trigger()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull()
    assert (image.width(), image.height()) == (window.view.width() * window.view.devicePixelRatio(),
                                               window.view.height() * window.view.devicePixelRatio())


def test_a_snapshot_of_another_slice_is_left_out_of_the_report(sample_window):
    window = sample_window
    other = window.current_series().slices[window.current_index() - 1].sop_instance_uid
    stale = replace(snapshot(window.current_image().shape), sop_instance_uid=other)
    report = current_slice_report(window, stale)
    assert report.result is None and report.heatmap is None


class FakeAiController(QObject):
    """The two things reporting needs from the AI panel's controller."""

    analysis_shown = Signal(object)

    def __init__(self, snapshot_of_window):
        super().__init__()
        self.current_snapshot = snapshot_of_window


def test_install_reporting_adds_actions_and_a_findings_dock_fed_by_the_ai(sample_window, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "default_findings_path", lambda: tmp_path / "findings.sqlite")
    window = sample_window
    state = {"snapshot": None}
    controller = FakeAiController(lambda: state["snapshot"])
    install_reporting(window, controller)
    assert "Export &report (PDF/PNG)…" in [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    panel = next(dock.widget() for dock in window.findChildren(QDockWidget) if dock.windowTitle() == "Findings")
    panel.set_decision("agree")
    assert not panel.save_button.isEnabled()
    state["snapshot"] = snapshot(window.current_image().shape)
    controller.analysis_shown.emit(object())
    assert panel.save_button.isEnabled()
    assert panel.save_current().reviewed.model_id == "m-2"
    assert (tmp_path / "findings.sqlite").is_file()
