"""No patient identifier reaches the logs.

The sample's name and ID are searched for in everything logged at debug level.

The identifiers are read from the sample's own DICOM header here, so the test follows the data it runs on.
A copy of three sample slices with a made-up name, ID and birth date checks the tags the sample leaves empty.
"""

import logging

import pydicom
import pytest

from lungview.cli import main

IDENTIFIER_TAGS = ("PatientName", "PatientID", "PatientBirthDate", "OtherPatientIDs")


def identifiers_of(folder) -> set[str]:
    """Every non-empty patient identifier in the headers under ``folder`` (and each part of a person name)."""
    found = set()
    for path in sorted(folder.glob("*.dcm")):
        header = pydicom.dcmread(path, stop_before_pixels=True)
        for tag in IDENTIFIER_TAGS:
            value = str(header.get(tag, "") or "")
            found.add(value)
            found.update(part for part in value.split("^") if len(part) >= 4)
    return {value for value in found if value}


@pytest.fixture
def renamed_copy(tmp_path, sample_series_dir):
    """Three sample slices with a made-up patient name, ID and birth date."""
    folder = tmp_path / "renamed"
    folder.mkdir()
    for path in sorted(sample_series_dir.glob("*.dcm"))[:3]:
        dataset = pydicom.dcmread(path)
        dataset.PatientName = "Ravensworth^Philippa"
        dataset.PatientID = "PID-58213977"
        dataset.PatientBirthDate = "19470312"
        dataset.save_as(folder / path.name)
    return folder


def _run_with_debug_logging(caplog, capsys, folder, blob_weights_dir, analysed_window=None) -> str:
    caplog.set_level(logging.DEBUG)
    assert main(["--debug", "scan", str(folder)]) == 0
    assert (
        main(["--debug", "predict", str(folder), "--slices", "all", "--cam", "--weights-dir", str(blob_weights_dir)])
        == 0
    )
    if analysed_window is not None:
        analysed_window()
    captured = capsys.readouterr()
    return caplog.text + captured.err


def test_sample_identifiers_never_logged(caplog, capsys, sample_series_dir, blob_weights_dir, analysed_window):
    identifiers = identifiers_of(sample_series_dir)
    assert identifiers, "the sample has no patient name or ID to look for"
    log = _run_with_debug_logging(caplog, capsys, sample_series_dir, blob_weights_dir, analysed_window)
    assert any(record.levelno == logging.DEBUG for record in caplog.records), "debug logging did not run"
    leaked = sorted(value for value in identifiers if value.lower() in log.lower())
    assert leaked == []


def test_made_up_identifiers_never_logged(caplog, capsys, renamed_copy, blob_weights_dir):
    identifiers = identifiers_of(renamed_copy)
    assert {"Ravensworth^Philippa", "PID-58213977", "19470312"} <= identifiers
    log = _run_with_debug_logging(caplog, capsys, renamed_copy, blob_weights_dir)
    leaked = sorted(value for value in identifiers if value.lower() in log.lower())
    assert leaked == []
