"""Errors reach the user by one path: a worker's failure and sys.excepthook show one dialog with details."""

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from lungview.qt import errors, series_loader


def _error_dialogs() -> list[QMessageBox]:
    widgets = QApplication.topLevelWidgets()
    return [widget for widget in widgets if isinstance(widget, QMessageBox) and widget.isVisible()]


def test_a_failing_scan_shows_one_plain_dialog(qtbot, main_window, monkeypatch, tmp_path):
    def broken_scan(paths, progress, cancelled):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(series_loader, "scan_paths", broken_scan)
    with qtbot.waitSignal(main_window.loading_finished):
        main_window.open_paths([str(tmp_path)])
    (dialog,) = _error_dialogs()
    assert dialog.text() == "LungView could not read the files you opened."
    assert "disk on fire" in dialog.detailedText()
    dialog.close()


def test_excepthook_shows_the_dialog(qtbot, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    errors.install_excepthook()
    try:
        raise ValueError("unexpected")
    except ValueError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    (dialog,) = _error_dialogs()
    assert "details are below" in dialog.text()
    assert "ValueError: unexpected" in dialog.detailedText()
    dialog.close()
