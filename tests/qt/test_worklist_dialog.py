"""File → Open worklist: table in the worklist's order, identifiers hidden on request, double-click opens a series."""

from PySide6.QtCore import Qt

from lungview.qt.worklist_dialog import WorklistDialog, open_worklist
from lungview.triage.rows import WorklistRow
from lungview.triage.worklist import Worklist


def _row(key, score, index, status="done", folder="/archive", uid=None, slices=30):
    return WorklistRow(
        series_key=key, patient_id=f"PID-{key}", accession_number=f"ACC-{key}", study_date="20240101", study_uid="9",
        series_uid=uid or key, description="chest", modality="CT", folder=folder, slice_count=slices, status=status,
        top_source="finding" if score is not None else None, top_score=score, top_index=index,
    )


def test_rows_are_shown_in_worklist_order_and_identifiers_can_be_hidden(qtbot):
    dialog = WorklistDialog()
    qtbot.addWidget(dialog)
    rows = [_row("a", 0.91, 12), _row("b", 0.4, 3), _row("c", None, None, "skipped")]

    dialog.set_rows(rows, hide_identifiers=True)

    table = dialog.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert [table.item(r, headers.index("Score")).text() for r in range(3)] == ["0.910", "0.400", ""]
    assert table.item(0, headers.index("Slice")).text() == "12"
    assert table.isColumnHidden(headers.index("Patient ID")) and table.isColumnHidden(headers.index("Accession"))
    dialog.set_rows(rows)
    assert not table.isColumnHidden(headers.index("Patient ID"))


def test_double_click_asks_for_that_series(qtbot):
    dialog = WorklistDialog()
    qtbot.addWidget(dialog)
    rows = [_row("a", 0.91, 12), _row("b", 0.4, 3)]
    dialog.set_rows(rows)
    dialog.show()
    cell = dialog.table.visualItemRect(dialog.table.item(1, 0)).center()

    with qtbot.waitSignal(dialog.series_requested) as requested:
        qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a double-click follows a press
        qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)

    assert requested.args == [rows[1]]


def test_main_window_opens_a_worklist_and_jumps_to_the_top_finding(qtbot, main_window, sample_series_dir, tmp_path):
    from lungview.dicom import scan_paths

    series = scan_paths([sample_series_dir]).series[0]
    path = tmp_path / "worklist.sqlite"
    with Worklist(path) as worklist:
        worklist.record(_row(series.series_uid, 0.8, 7, folder=str(sample_series_dir), slices=len(series)))
    assert main_window.open_worklist_action in main_window.menuBar().actions()[0].menu().actions()

    dialog = open_worklist(main_window, str(path))
    dialog.series_requested.emit(dialog.rows()[0])

    qtbot.waitUntil(
        lambda: main_window.current_series() is not None and main_window.current_index() == 7, timeout=30_000
    )
    assert main_window.current_series().series_uid == series.series_uid
    dialog.close()


def test_a_file_that_is_no_worklist_gives_one_error(qtbot, main_window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("lungview.qt.worklist_dialog.show_error", lambda sentence, *args: shown.append(sentence))
    path = tmp_path / "not.sqlite"
    path.write_text("hello")

    assert open_worklist(main_window, str(path)) is None
    assert len(shown) == 1


def test_the_dialog_names_the_model_that_ranked_the_rows(qtbot):
    dialog = WorklistDialog()
    qtbot.addWidget(dialog)
    model = {"id": "ct-tumour-slice", "version": "3", "sha256": "ab" * 32}

    dialog.set_rows([_row("a", 0.9, 1), _row("b", None, None, "not_evaluable")], model=model)

    assert "Model: ct-tumour-slice version 3 (weights SHA-256 abababababab…)" in dialog.summary.text()
    assert "1 not evaluable" in dialog.summary.text()


def test_a_jump_opens_the_stack_of_its_row_not_the_first_of_its_uid(qtbot, main_window, sample_series_dir, tmp_path):
    from lungview.bench.archive import copy_series, new_study

    files = sorted(sample_series_dir.glob("*.dcm"))
    study, uid = new_study("P", "A", "20200101"), "1.2.826.0.1.3680043.8.498.77"
    copy_series(files[:4], tmp_path / "series" / "axial", study, SeriesInstanceUID=uid)
    coronal = {"SeriesInstanceUID": uid, "ImageOrientationPatient": [1, 0, 0, 0, 0, -1]}
    copy_series(files[4:9], tmp_path / "series" / "coronal", study, **coronal)
    path = tmp_path / "worklist.sqlite"
    with Worklist(path) as worklist:
        worklist.record(_row(f"{uid}#2", 0.8, 3, folder=str(tmp_path / "series"), uid=uid, slices=5))

    dialog = open_worklist(main_window, str(path))
    dialog.series_requested.emit(dialog.rows()[0])

    qtbot.waitUntil(
        lambda: main_window.current_series() is not None and main_window.current_index() == 3, timeout=30_000
    )
    assert (main_window.current_series().key, len(main_window.current_series())) == (f"{uid}#2", 5)
    dialog.close()
