"""Overlay text: patient-direction letters from ImageOrientationPatient, identifiers and their hiding."""

import pytest

from lungview.qt import overlays
from lungview.volume import PatientIdentity, Series


def _series(orientation) -> Series:
    return Series(
        series_uid="1.2", study_uid="1.1", modality="CT", description="chest", rows=2, columns=2,
        spacing=(1.0, 1.0, 1.0), orientation=orientation, slices=(), has_hu=True,
    )


@pytest.mark.parametrize(
    ("vector", "letters"),
    [((1, 0, 0), "L"), ((-1, 0, 0), "R"), ((0, 1, 0), "P"), ((0, -1, 0), "A"), ((0, 0, 1), "H"), ((0.8, 0.6, 0), "LP")],
)
def test_direction_letters(vector, letters):
    assert overlays.direction_letters(vector) == letters


def test_standard_axial_shows_patient_right_on_the_left_and_anterior_up():
    labels = overlays.edge_labels(_series((1, 0, 0, 0, 1, 0)))
    assert labels == {"left": "R", "right": "L", "top": "A", "bottom": "P"}


def test_images_without_orientation_get_no_letters():
    assert overlays.edge_labels(_series(None)) == {}


def test_identifiers_are_shown_or_hidden():
    patient = PatientIdentity(name="DOE^JANE", patient_id="P123", birth_date="19600102")
    assert overlays.identity_lines(patient, hidden=False) == ["DOE JANE", "ID P123", "born 1960-01-02"]
    assert overlays.identity_lines(patient, hidden=True) == ["identifiers hidden"]
