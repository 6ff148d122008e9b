"""File → Export findings as DICOM: the open series' findings written as SEG + SR in the background."""

import highdicom as hd

from lungview.detection.lesions import Lesion, LesionSlice, SeriesLesions
from lungview.qt.dicom_findings_export import install_dicom_findings_export


def test_export_writes_the_shown_findings_without_blocking(qtbot, sample_window, tmp_path):
    export = install_dicom_findings_export(sample_window)
    assert export.action in sample_window.menuBar().actions()[0].menu().actions()
    series = sample_window.current_series()
    box = (300, 280, 340, 330)
    slices = tuple(LesionSlice(i, None, series.slices[i].sop_instance_uid, box) for i in (10, 11, 12))
    lesions = SeriesLesions(
        series.series_uid, {"id": "m", "version": "1", "sha256": ""}, 0.5,
        (Lesion(1, 0.9, 11, 320.0, 305.0, None, slices),), (None,) * len(series),
    )
    sample_window.show_lesions(lesions)
    assert export.export(tmp_path)
    assert not export.action.isEnabled()  # running in the background; the GUI goes on
    qtbot.waitUntil(lambda: export.last_result is not None, timeout=60_000)
    assert export.action.isEnabled()
    result = export.last_result
    assert result.seg.name == f"{series.series_uid}_seg.dcm" and result.sr.name == f"{series.series_uid}_sr.dcm"
    assert hd.seg.segread(result.seg).number_of_segments == 1
    assert "1 finding(s) written" in sample_window.statusBar().currentMessage()


def test_findings_of_another_stack_are_not_written_for_this_one(sample_series_dir):
    from lungview.dicom import scan_paths
    from lungview.qt.dicom_findings_export import found_in

    series = scan_paths([sample_series_dir]).series[0]
    box = (1, 1, 2, 2)
    own = LesionSlice(3, None, series.slices[3].sop_instance_uid, box)
    other = LesionSlice(3, None, "1.2.3.4.5", box)
    model = {"id": "m", "version": "1", "sha256": ""}

    def lesions(lesion_slice):
        return SeriesLesions(series.series_uid, model, 0.5, (Lesion(1, 0.9, 3, 1.5, 1.5, None, (lesion_slice,)),), ())

    assert found_in(lesions(own), series)
    assert not found_in(lesions(other), series)  # same UID, another stack's slices: found again instead
