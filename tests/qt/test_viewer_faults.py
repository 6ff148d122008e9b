"""Faults while the viewer runs: a file deleted or truncated under an open series, a read-only or locked findings
log, a full disk while exporting. Each gives a clear message, the viewer goes on, and nothing saved is lost."""

import errno
import functools
import shutil
import sqlite3

import pytest

from lungview.findings import FindingsLog, ReviewedSlice
from lungview.qt.findings_panel import FindingsPanel


def _reviewed(index: int = 4) -> ReviewedSlice:
    return ReviewedSlice("1.2", "1.2.3", f"1.2.3.{index}", index, "ct-tumour-slice", "1.0", "ee" * 32, {"cancer": 0.9})


@pytest.fixture
def shown_errors(monkeypatch):
    """The sentences of the error dialogs shown (instead of showing them)."""
    shown = []
    record = lambda sentence, *args: shown.append(sentence)  # noqa: E731
    monkeypatch.setattr("lungview.qt.findings_panel.show_error", record)
    monkeypatch.setattr("lungview.qt.main_window.show_error", record, raising=False)
    return shown


def test_a_slice_file_deleted_or_truncated_under_an_open_series(qtbot, main_window, sample_series_dir, tmp_path,
                                                                monkeypatch, shown_errors):
    from lungview.dicom import SliceStore

    folder = tmp_path / "series"
    shutil.copytree(sample_series_dir, folder)
    # a memory budget of a few slices: the middle ones, decoded first, are dropped again and read when shown
    monkeypatch.setattr("lungview.qt.series_loader.SliceStore", functools.partial(SliceStore, max_bytes=6 * 2**20))
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(folder)])
    series = main_window.current_series()
    deleted, truncated = series.slices[14].path, series.slices[16].path
    (folder / deleted).unlink()
    with open(truncated, "r+b") as stream:
        stream.truncate(4000)

    for index in (14, 16):
        main_window.set_slice(index)
        failed = f"Slice {index + 1} could not be decoded"
        qtbot.waitUntil(lambda failed=failed: main_window.view.message().startswith(failed), timeout=30_000)
    main_window.set_slice(20)  # the rest of the series is still there, read again from disk
    qtbot.waitUntil(lambda: main_window.current_image() is not None and main_window.current_index() == 20)

    assert main_window.current_series() is series
    assert shown_errors == []  # a message on the slice, not an error dialog per slice


@pytest.fixture
def panel_and_log(qtbot, tmp_path):
    log = FindingsLog(tmp_path / "findings.sqlite")
    widget = FindingsPanel(log, lambda: _reviewed())
    qtbot.addWidget(widget)
    log.save(_reviewed(1), "agree", note="saved before")
    widget.reload()
    yield widget, log
    log.close()


def _try_to_save(panel) -> object:
    panel.set_decision("disagree")
    panel.note_edit.setPlainText("typed, not yet saved")
    return panel.save_current()


def _saved_notes(path) -> list[str]:
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return [note for (note,) in db.execute("SELECT note FROM findings ORDER BY id")]
    finally:
        db.close()


def test_a_read_only_findings_log_says_so_and_keeps_the_form_and_what_was_saved(panel_and_log, shown_errors):
    panel, log = panel_and_log
    log._connection.close()
    log._connection = sqlite3.connect(f"{log.path.as_uri()}?mode=ro", uri=True, isolation_level=None)  # read-only

    assert _try_to_save(panel) is None

    assert len(shown_errors) == 1 and shown_errors[0].startswith("The finding was not saved")
    assert "readonly" in shown_errors[0]
    assert (panel.chosen_decision(), panel.note_edit.toPlainText()) == ("disagree", "typed, not yet saved")
    assert _saved_notes(log.path) == ["saved before"]
    assert [f.note for f in panel.shown_findings()] == ["saved before"]


def test_a_locked_findings_log_says_so_and_saves_once_it_is_free(qtbot, tmp_path, monkeypatch, shown_errors):
    monkeypatch.setattr("lungview.findings.store.BUSY_TIMEOUT_MS", 100)
    log = FindingsLog(tmp_path / "findings.sqlite")
    panel = FindingsPanel(log, lambda: _reviewed())
    qtbot.addWidget(panel)
    other = sqlite3.connect(tmp_path / "findings.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another LungView writing, or a backup holding the file

    assert _try_to_save(panel) is None
    assert len(shown_errors) == 1 and "locked" in shown_errors[0]
    other.execute("ROLLBACK")
    other.close()
    finding = panel.save_current()  # the form kept what was typed

    assert finding is not None and finding.note == "typed, not yet saved"
    assert _saved_notes(log.path) == ["typed, not yet saved"]
    log.close()


def test_a_full_disk_while_exporting_keeps_the_earlier_export(panel_and_log, tmp_path, monkeypatch, shown_errors):
    panel, _ = panel_and_log
    target = tmp_path / "exports" / "findings.csv"
    target.parent.mkdir()
    target.write_text("the export of yesterday\n")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("lungview.qt.findings_panel.QFileDialog.getSaveFileName", lambda *args: (str(target), ""))
    monkeypatch.setattr("lungview.findings.csv_export.csv.DictWriter.writerows", disk_full)
    panel.export_csv_dialog()

    assert len(shown_errors) == 1 and shown_errors[0] == f"The findings could not be written to {target}."
    assert target.read_text() == "the export of yesterday\n"
    assert [path.name for path in target.parent.iterdir()] == ["findings.csv"]  # no partial file beside it
    monkeypatch.undo()
    assert panel.export_csv(target) == 1  # the panel goes on: with space again, the export works
    assert "saved before" in target.read_text()
