"""Test material for reports: a real sample slice with made-up identifiers and a fake model with a known peak."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pydicom

from lungview.volume import PatientIdentity, Series, SliceRef

PATIENT = PatientIdentity(name="Doe^Jane", patient_id="LV-TEST-4711", birth_date="19450317")
ATTENTION_PEAK = (120, 380)  # (row, column) of the fake model's heatmap maximum
CLASSES = ("adenocarcinoma", "normal", "squamous.cell.carcinoma")


def identifying_strings(patient: PatientIdentity) -> list[str]:
    """Every form in which the patient's name, ID or birth date could appear."""
    birth = patient.birth_date
    return [*patient.name.split("^"), patient.name, patient.patient_id, birth, f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"]


class FakeModel:
    """A card, ``predict`` giving predictions and ``cam`` giving a heatmap with a known attention peak."""

    card = SimpleNamespace(
        id="fake-3", version="0.9.1", sha256="0123456789abcdef" * 4, classes=CLASSES, threshold=0.5,
        intended_use="Tests only.", limits=("Not trained.",), metrics={"auc": 0.5, "per_class": {"normal": 1}},
    )

    def predict(self, images, has_hu):
        probabilities = {"adenocarcinoma": 0.7, "normal": 0.2, "squamous.cell.carcinoma": 0.1}
        return [SimpleNamespace(probabilities=probabilities, cancer_probability=0.8, predicted="adenocarcinoma")
                for _ in images]

    def cam(self, image, has_hu, class_name=None, method="gradcam"):
        rows, columns = np.mgrid[: image.shape[0], : image.shape[1]]
        distance = (rows - ATTENTION_PEAK[0]) ** 2 + (columns - ATTENTION_PEAK[1]) ** 2
        return np.exp(-distance / (2 * 30.0**2)).astype(np.float32)


def series_of_one_slice(path: Path) -> tuple[Series, np.ndarray]:
    """A one-slice series for ``path`` and its HU pixels, read directly with pydicom."""
    dataset = pydicom.dcmread(path)
    hu = dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
    slice_ref = SliceRef(str(path), dataset.SOPInstanceUID, int(dataset.InstanceNumber), 0.0,
                         tuple(float(v) for v in dataset.PixelSpacing), float(dataset.SliceThickness))
    patient = PatientIdentity(str(dataset.PatientName), dataset.PatientID, dataset.PatientBirthDate)
    series = Series(dataset.SeriesInstanceUID, dataset.StudyInstanceUID, "CT", dataset.SeriesDescription,
                    dataset.Rows, dataset.Columns, None, None, (slice_ref,), True, patient=patient)
    return series, hu.astype(np.float32)


