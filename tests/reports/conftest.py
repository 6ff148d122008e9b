"""Fixtures for report tests: a real slice with made-up identifiers and reports of it made with a fake model."""

from pathlib import Path

import pydicom
import pytest
from report_fixtures import PATIENT, FakeModel, series_of_one_slice

from lungview.reports import build_slice_report
from lungview.windowing import PRESETS


@pytest.fixture
def identified_slice(tmp_path, sample_series_dir) -> Path:
    """A copy of a real sample slice carrying the made-up identifiers of ``PATIENT``."""
    dataset = pydicom.dcmread(sample_series_dir / "1-15.dcm")
    dataset.PatientName, dataset.PatientID, dataset.PatientBirthDate = (
        PATIENT.name,
        PATIENT.patient_id,
        PATIENT.birth_date,
    )
    dataset.OtherPatientIDs = PATIENT.patient_id
    path = tmp_path / "source.dcm"
    dataset.save_as(path)
    return path


@pytest.fixture
def make_report(identified_slice):
    """``make_report(with_cam=True, hide_identifiers=False, out_of_scope=())``: the identified slice's SliceReport."""
    series, hu = series_of_one_slice(identified_slice)

    model = FakeModel()

    def make(with_cam: bool = True, hide_identifiers: bool = False, out_of_scope: tuple[str, ...] = ()):
        heatmap = model.cam(hu, True) if with_cam else None
        return build_slice_report(series, 0, hu, PRESETS["lung"], model.card, model.predict([hu], True)[0], heatmap,
                                  out_of_scope, hide_identifiers)

    return make
