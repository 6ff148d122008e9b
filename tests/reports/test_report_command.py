"""``lungview report`` end to end on the sample series, with a tiny real model saved through the real registry."""

import numpy as np
import pydicom
import pytest
import torch
from PIL import Image
from pypdf import PdfReader

from lungview import INTENDED_USE, cli, paths
from lungview.dicom import scan_paths
from lungview.models import list_model_ids
from lungview.models.backbones import build_classifier
from lungview.models.card import ModelCard
from lungview.models.preprocess import PreprocessParams
from lungview.models.registry import save_model


@pytest.fixture
def tiny_shipped_model(tmp_path, monkeypatch):
    """A seeded tiny CNN saved as the only shipped model, ``tiny-2``."""
    torch.manual_seed(0)
    network, _ = build_classifier("tiny-cnn", 2, size=32, pretrained=False)
    card = ModelCard(id="tiny-2", version="test", architecture="tiny-cnn", classes=("normal", "cancer"),
                     cancer_classes=("cancer",), cancer_rule="P(cancer)", threshold=0.5, temperature=1.0,
                     preprocessing=PreprocessParams(size=32), sha256="", intended_use="Tests only.")
    weights = tmp_path / "weights"
    save_model(weights / "tiny-2", network.eval(), card)
    monkeypatch.setattr(paths, "weights_dir", lambda: weights)
    return "tiny-2"


def test_pdf_report_of_a_sample_slice(sample_series_dir, tiny_shipped_model, tmp_path, capsys):
    out = tmp_path / "report.pdf"
    assert cli.main(["report", str(sample_series_dir), "--slice", "12", "--cam", "--out", str(out)]) == 0
    text = " ".join(PdfReader(out).pages[0].extract_text().split())
    assert INTENDED_USE in text and "tiny-2 version test" in text and "Slice 13 of 30" in text
    assert "Lung_Dx-A0001" in text  # the sample's patient ID, shown unless hidden


def test_png_report_with_hidden_identifiers(sample_series_dir, tiny_shipped_model, tmp_path):
    out = tmp_path / "report.png"
    arguments = ["report", str(sample_series_dir), "--slice", "0", "--cam", "--hide-identifiers", "--out", str(out)]
    assert cli.main(arguments) == 0
    with Image.open(out) as image:
        assert image.size == (1240, 1753)


def test_deidentified_secondary_capture_of_a_sample_slice(sample_series_dir, tiny_shipped_model, tmp_path):
    out = tmp_path / "sc.dcm"
    arguments = ["report", str(sample_series_dir), "--slice", "3", "--window=-500,1400", "--hide-identifiers",
                 "--out", str(out)]
    assert cli.main(arguments) == 0
    export = pydicom.dcmread(out)
    source = scan_paths([str(sample_series_dir)]).series[0].slices[3]
    assert export.SourceImageSequence[0].ReferencedSOPInstanceUID == source.sop_instance_uid
    assert "Lung_Dx-A0001" not in str(export.PatientName) + export.PatientID
    assert "W1400 L-500" in export.DerivationDescription


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--index", "30", "--out", "{tmp}/r.pdf"], "--index must be from 0 to 29"),
        (["--slice", "1", "--out", "{tmp}/r.jpg"], "--out must end in .pdf, .png, .dcm"),
        (["--slice", "1", "--out", "{tmp}/missing/r.pdf"], "folder for --out does not exist"),
        (["--slice", "1", "--model", "nope", "--out", "{tmp}/r.pdf"], "no model called 'nope'"),
        (["--slice", "1", "--window", "wide", "--out", "{tmp}/r.pdf"], "--window must be one of"),
        (["--slice", "1", "--series", "2", "--out", "{tmp}/r.pdf"], "--series '2' is neither"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(sample_series_dir, tiny_shipped_model, tmp_path, capsys,
                                               arguments, message):
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    assert cli.main(["report", str(sample_series_dir), *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_a_folder_without_images_exits_2(tmp_path, tiny_shipped_model, capsys):
    (tmp_path / "notes.txt").write_text("no images here")
    assert cli.main(["report", str(tmp_path), "--slice", "0", "--out", str(tmp_path / "r.pdf")]) == 2
    assert "no usable image series" in capsys.readouterr().err


def test_shipped_models_make_a_report(sample_series_dir, tmp_path):
    shipped = list_model_ids()
    if not shipped:
        pytest.skip("no shipped weights in weights/ yet")
    out = tmp_path / "report.png"
    assert cli.main(["report", str(sample_series_dir), "--slice", "12", "--model", shipped[0], "--cam",
                     "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.size == (1240, 1753)


def test_secondary_capture_of_a_png_slice_exits_2(tmp_path, tiny_shipped_model, capsys):
    Image.fromarray(np.full((64, 64), 90, np.uint8)).save(tmp_path / "slice.png")
    assert cli.main(["report", str(tmp_path / "slice.png"), "--slice", "0", "--out", str(tmp_path / "x.dcm")]) == 2
    assert "needs a DICOM source" in capsys.readouterr().err
    assert cli.main(["report", str(tmp_path / "slice.png"), "--slice", "0", "--out", str(tmp_path / "x.png")]) == 0


def test_a_series_the_ai_cannot_read_gives_no_report_and_says_why(tmp_path, sample_series_dir, capsys):
    from lungview.bench.archive import copy_series, new_study

    files = sorted(sample_series_dir.glob("*.dcm"))[:12]
    folder = tmp_path / "coronal"
    copy_series(files, folder, new_study("P", "A", "20200101"), ImageOrientationPatient=[1, 0, 0, 0, 0, -1])

    assert cli.main(["report", str(folder), "--slice", "3", "--out", str(tmp_path / "r.pdf")]) == 2

    assert "the AI cannot read this series (not axial: the slices are coronal)" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()
