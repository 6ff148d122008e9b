"""Viewer entry point: QApplication -> error hook -> main window -> event loop."""

import sys

from PySide6.QtWidgets import QApplication

from lungview.paths import sample_series_dir

GIL_SWITCH_INTERVAL_S = 0.001
"""CPython hands the GIL to a waiting thread after this long (default 5 ms): with two decoding threads busy, the
GUI thread gets it back within about a millisecond instead of 5-10, which keeps the heartbeat gaps short."""


def application() -> QApplication:
    """The running QApplication, created (as "LungView") if there is none."""
    app = QApplication.instance()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setOrganizationName("LungView")
        app.setApplicationName("LungView")
    return app


def run_viewer(paths: list[str]) -> int:
    """Show the main window on ``paths`` (the bundled sample series when empty); returns the exit status."""
    from lungview.qt.ai_controller import install_ai_panel
    from lungview.qt.annotation_layer import install_annotations
    from lungview.qt.dicom_findings_export import install_dicom_findings_export
    from lungview.qt.errors import install_excepthook
    from lungview.qt.main_window import MainWindow
    from lungview.qt.report_actions import install_reporting

    app = application()
    install_excepthook()
    window = MainWindow()
    ai = install_ai_panel(window)
    install_reporting(window, ai)
    install_annotations(window)
    install_dicom_findings_export(window)
    window.show()
    window.open_paths(list(paths) or [str(sample_series_dir())])
    status = app.exec()
    window.close()  # joins the worker threads even when the event loop ended some other way
    return status
