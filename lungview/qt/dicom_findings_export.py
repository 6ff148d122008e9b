"""File → Export findings as DICOM…: the open series' findings as a SEG and a TID 1500 SR, written in the background.

The files are those of ``lungview detect --dicom-out``: ``<series_uid>_seg.dcm`` (with findings) and
``<series_uid>_sr.dcm`` in the folder the user picks. The findings on screen are written when the AI panel has them
for this series; otherwise the lesion finder runs first, in the same background job.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from lungview.detection.lesions import SeriesLesions
from lungview.qt.errors import show_error
from lungview.reports.dicom_findings import DicomFindingsFiles, write_dicom_findings
from lungview.reports.dicom_seg import DicomFindingsError
from lungview.volume import Series

STORE_BYTES = 1024**3


def find_series_lesions(series: Series) -> SeriesLesions:
    """Run the default lesion finder on ``series`` (as ``lungview detect`` does).

    Raises
    ------
    DicomFindingsError
        When the series is not one the finder reads (not CT in HU, a single slice, ...).
    """
    from lungview.dicom import SliceStore
    from lungview.inference.classifier import load_classifier
    from lungview.inference.model_choice import LESION_MODEL, skip_reason
    from lungview.inference.series_analysis import find_lesions, finds_lesions

    classifier = load_classifier(LESION_MODEL, None, reuse_export=True)
    reason = skip_reason(series) or (None if finds_lesions(classifier, series) else "not a CT series in HU")
    if reason is None and len(series) < 2:
        reason = "a single slice: findings need neighbouring slices"
    if reason:
        raise DicomFindingsError(f"the lesion finder does not read this series ({reason})")
    return find_lesions(classifier, series, SliceStore(series, max_bytes=STORE_BYTES))


def export_findings(series: Series, lesions: SeriesLesions | None, out_dir: str) -> DicomFindingsFiles:
    """Background job: write the SEG and SR of ``lesions`` (found now when None or of another series or stack)."""
    if lesions is None or not found_in(lesions, series):
        lesions = find_series_lesions(series)
    return write_dicom_findings(series, lesions, out_dir)


def found_in(lesions: SeriesLesions, series: Series) -> bool:
    """True when ``lesions`` were found in ``series``: its UID, and (for a UID of several stacks) its slices."""
    uids = {ref.sop_instance_uid for ref in series.slices}
    spanned = {s.sop_instance_uid for lesion in lesions.candidates for s in lesion.slices}
    return lesions.series_uid == series.series_uid and spanned <= uids


class DicomFindingsExport(QObject):
    """The File menu action; ``export(out_dir)`` starts the job without a dialog (tests, scripts)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._runner = window.create_runner("dicom-findings")
        self._runner.finished.connect(self._on_finished)
        self._runner.failed.connect(self._on_failed)
        self.action = QAction("Export findings as &DICOM (SEG + SR)…", window)
        self.action.triggered.connect(self.export_dialog)
        self.last_result: DicomFindingsFiles | None = None

    def export(self, out_dir: str | Path) -> bool:
        """Write the open series' findings into ``out_dir`` in the background; False when no series is open."""
        series = self._window.current_series()
        if series is None:
            return False
        self.action.setEnabled(False)
        self._window.statusBar().showMessage("Writing the findings as DICOM SEG and SR…")
        self._runner.submit(export_findings, series, self._window.lesions(), str(out_dir))
        return True

    @Slot()
    def export_dialog(self) -> None:
        if self._window.current_series() is None:
            show_error("Open a CT series first.", None, self._window)
            return
        folder = QFileDialog.getExistingDirectory(self._window, "Export findings as DICOM into folder")
        if folder:
            self.export(folder)

    @Slot(int, object)
    def _on_finished(self, _generation: int, result: DicomFindingsFiles) -> None:
        self.action.setEnabled(True)
        self.last_result = result
        written = ", ".join(path.name for path in (result.seg, result.sr) if path is not None)
        self._window.statusBar().showMessage(f"{result.findings} finding(s) written: {written}", 15000)

    @Slot(int, object)
    def _on_failed(self, _generation: int, error: object) -> None:
        self.action.setEnabled(True)
        show_error(f"The findings could not be written as DICOM: {error}",
                   error if isinstance(error, BaseException) else None, self._window)


def install_dicom_findings_export(window) -> DicomFindingsExport:
    """Add File → Export findings as DICOM… to ``window`` (a MainWindow), before Quit."""
    export = DicomFindingsExport(window)
    file_menu = window.menuBar().actions()[0].menu()
    actions = file_menu.actions()
    file_menu.insertAction(actions[-1] if actions else None, export.action)
    return export
