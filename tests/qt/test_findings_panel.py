"""The Findings dock: save from the form, filter, export CSV, reopen a finding's slice in the real window."""

import csv

import pytest
from PySide6.QtCore import Qt

from lungview.findings import FindingLocation, FindingsLog, ReviewedSlice
from lungview.qt.findings_panel import FindingsPanel, install_findings_panel, reopen_finding
from lungview.reports import AiResult, AiSnapshot, ModelSummary


def reviewed(index: int = 4, model_id: str = "ct-malignancy-3") -> ReviewedSlice:
    return ReviewedSlice("1.2", "1.2.3", f"1.2.3.{index}", index, model_id, "1.0", "ee" * 32, {"cancer": 0.9})


@pytest.fixture
def findings_log(tmp_path):
    with FindingsLog(tmp_path / "findings.sqlite") as log:
        yield log


@pytest.fixture
def panel(qtbot, findings_log):
    state = {"reviewed": reviewed()}
    widget = FindingsPanel(findings_log, lambda: state["reviewed"])
    widget.state = state
    qtbot.addWidget(widget)
    return widget


def test_form_saves_a_finding_with_category_modifier_and_note(qtbot, panel, findings_log):
    assert not panel.save_button.isEnabled()  # no decision ticked yet
    panel.set_decision("disagree")
    panel.category_box.setCurrentText("4B")
    panel.significant_box.setChecked(True)
    panel.note_edit.setPlainText("  emphysema  ")
    with qtbot.waitSignal(panel.finding_saved) as saved:
        qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    finding = findings_log.find()[0]
    assert saved.args == [finding]
    assert (finding.decision, finding.lung_rads, finding.note) == ("disagree", "4BS", "emphysema")
    assert finding.reviewed == reviewed()
    assert panel.table.rowCount() == 1 and panel.chosen_decision() is None  # listed; form cleared


def test_nothing_to_save_without_an_ai_result(panel):
    panel.state["reviewed"] = None
    panel.refresh_current()
    panel.set_decision("agree")
    assert not panel.save_button.isEnabled()
    assert "No AI result" in panel.subject_label.text()


def test_filters_and_csv_export_of_what_is_listed(panel, findings_log, tmp_path):
    findings_log.save(reviewed(1), "agree")
    findings_log.save(reviewed(2, "ct-subtype-4"), "unsure")
    findings_log.save(reviewed(3), "agree")
    panel.reload()
    panel.decision_filter.setCurrentText("agree")
    assert [f.reviewed.slice_index for f in panel.shown_findings()] == [3, 1]
    panel.decision_filter.setCurrentText("All decisions")
    panel.model_filter.setCurrentText("ct-subtype-4")
    assert [f.reviewed.slice_index for f in panel.shown_findings()] == [2]
    panel.model_filter.setCurrentText("All models")
    assert panel.export_csv(tmp_path / "f.csv") == 3
    with open(tmp_path / "f.csv", newline="", encoding="utf-8") as stream:
        assert [int(row["slice_index"]) for row in csv.DictReader(stream)] == [3, 2, 1]


def snapshot_of(window, sop_instance_uid=None) -> AiSnapshot:
    model = ModelSummary("m-2", "1.0", "aa" * 32, ("normal", "cancer"), 0.5)
    return AiSnapshot(model, AiResult({"normal": 0.4, "cancer": 0.6}, 0.6, "cancer"), sop_instance_uid=sop_instance_uid)


def test_reopening_a_finding_goes_back_to_its_slice(qtbot, sample_window, findings_log):
    window = sample_window
    panel = install_findings_panel(window, lambda: snapshot_of(window), findings_log)
    window.set_slice(5)
    panel.set_decision("unsure")
    saved = panel.save_current()
    assert saved.reviewed.slice_index == 5 and saved.reviewed.model_id == "m-2"
    assert saved.reviewed.sop_instance_uid == window.current_series().slices[5].sop_instance_uid
    window.set_slice(20)
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.reopen_button, Qt.MouseButton.LeftButton)
    assert window.current_index() == 5
    assert window.current_series().series_uid == saved.reviewed.series_uid


def test_a_result_of_another_slice_is_never_recorded(sample_window, findings_log):
    window = sample_window
    window.set_slice(3)
    stale = snapshot_of(window, window.current_series().slices[3].sop_instance_uid)
    panel = install_findings_panel(window, lambda: stale, findings_log)
    panel.set_decision("agree")
    assert panel.save_button.isEnabled()
    window.set_slice(4)  # the user moved on; the snapshot still names slice 3
    assert not panel.save_button.isEnabled()
    assert panel.save_current() is None and findings_log.find() == []


def test_reopening_a_finding_of_a_series_not_open_opens_its_folder(qtbot, main_window, sample_series_dir):
    from lungview.dicom import scan_paths

    series = scan_paths([str(sample_series_dir)]).series[0]
    target = series.slices[7]
    location = FindingLocation(series.study_uid, series.series_uid, target.sop_instance_uid, 7, target.path)
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        reopen_finding(main_window, location)
    qtbot.waitUntil(lambda: main_window.current_index() == 7, timeout=10_000)
    assert main_window.current_series().series_uid == series.series_uid


def test_a_roi_drawn_in_the_viewer_is_saved_with_the_finding_and_listed(qtbot, sample_window, findings_log, tmp_path):
    window = sample_window
    panel = install_findings_panel(window, lambda: snapshot_of(window), findings_log)
    assert not panel.add_measurement_button.isEnabled()  # nothing drawn yet
    window.set_tool("ellipse")
    view = window.view
    start, end = view.image_to_view(200, 200), view.image_to_view(260, 280)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start.toPoint())
    qtbot.mouseMove(view, end.toPoint())
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end.toPoint())
    drawn = window.last_measurement()
    assert drawn.kind == "ellipse" and drawn.plane == "axial" and drawn.values["area_unit"] == "mm²"
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)  # Add the last measurement
    assert panel.pending_measurements() == [drawn]
    assert "ellipse, axial slice 16: mean" in panel.measurements_label.text()
    panel.set_decision("agree")
    saved = panel.save_current()
    assert saved.measurements == (drawn,) and panel.pending_measurements() == []
    assert panel.table.item(0, 4).text() == drawn.summary()
    with FindingsLog(findings_log.path) as reopened:  # as after a restart
        assert reopened.get(saved.finding_id).measurements == (drawn,)
    assert panel.export_csv(tmp_path / "f.csv") == 1
    with open(tmp_path / "f.csv", newline="", encoding="utf-8") as stream:
        assert '"plane": "axial"' in next(csv.DictReader(stream))["measurements"]
