from lungview.reports import ModelSummary
from lungview.reports.text import format_dicom_date, identifier_lines, model_lines
from lungview.volume import PatientIdentity


def test_identifiers_shown_or_hidden():
    patient = PatientIdentity("Doe^Jane", "X1", "19450317")
    assert identifier_lines(patient, hidden=False) == ["Patient: Doe Jane", "Patient ID: X1", "Birth date: 1945-03-17"]
    assert identifier_lines(patient, hidden=True) == ["Patient identifiers hidden"]
    assert format_dicom_date("1945") == "1945"


def test_model_summary_is_cut_to_fit_the_page():
    model = ModelSummary("m", "1", "ab" * 32, ("a", "b"), 0.5, "Use.", tuple(f"limit {i}" for i in range(30)),
                         {"auc": 0.91234, "per_class": {"a": 1.0}})
    lines = model_lines(model, max_lines=8)
    assert len(lines) == 8 and lines[-1] == "… more in the full model card."
    assert lines[0].startswith("Model: m version 1, weights SHA-256 abababab")
    assert "Test metrics: auc 0.912" in model_lines(ModelSummary("m", "1", "", (), 0.5, metrics={"auc": 0.91234}))
