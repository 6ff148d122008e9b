"""``lungview predict``: the JSON/CSV interface on the sample series, PNG folders and out-of-scope DICOM."""

import csv
import io
import json

import numpy as np
import pydicom
import pytest
from PIL import Image

from lungview.cli import main
from lungview.models.card import WEIGHTS_FILE

RESULT_KEYS = {
    "path", "series_uid", "series_key", "index", "instance_number", "sop_instance_uid", "z", "probabilities",
    "cancer_probability", "predicted", "out_of_scope", "model", "flagged", "lesion_box",
}


def _predict(capsys, *argv) -> tuple[int, str, str]:
    status = main(["predict", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_sample_series_middle_slice_by_default(capsys, sample_series_dir, blob_weights_dir):
    status, out, _ = _predict(capsys, sample_series_dir, "--weights-dir", blob_weights_dir)
    assert status == 0
    document = json.loads(out)
    assert document["model"]["id"] == "blob" and len(document["model"]["sha256"]) == 64
    (result,) = document["results"]
    assert set(result) == RESULT_KEYS
    assert result["index"] == 15 and result["instance_number"] == 18  # sorted feet first: index 15 is instance 33 - 15
    assert result["sop_instance_uid"] and result["series_uid"]
    assert result["predicted"] in result["probabilities"]
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert result["cancer_probability"] == pytest.approx(result["probabilities"]["tumour"])
    assert result["out_of_scope"] == {"flagged": False, "reasons": [], "ood_score": None}


def test_chosen_slices_with_cam_peak(capsys, sample_series_dir, blob_weights_dir):
    status, out, _ = _predict(
        capsys, sample_series_dir, "--slices", "0,29,40", "--cam", "--weights-dir", blob_weights_dir
    )
    assert status == 0
    document = json.loads(out)
    assert [r["index"] for r in document["results"]] == [0, 29]
    for result in document["results"]:
        row, col = result["cam_peak"]
        assert 0 <= row < 512 and 0 <= col < 512
    assert any("slice 40 is outside" in entry["reason"] for entry in document["skipped"])


def test_png_folder_every_picture_and_csv(capsys, tmp_path, blob_weights_dir):
    folder = tmp_path / "pictures"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name in ("a.png", "b.png", "c.jpg"):
        Image.fromarray(rng.integers(0, 255, (120, 160), dtype=np.uint8)).save(folder / name)
    (folder / "broken.png").write_bytes(b"not a picture")
    status, out, err = _predict(capsys, folder, "--csv", "--cam", "--weights-dir", blob_weights_dir)
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert sorted(row["path"].rsplit("/", 1)[-1] for row in rows) == ["a.png", "b.png", "c.jpg"]
    assert all(row["sop_instance_uid"] == "" and row["cam_peak_row"] != "" for row in rows)
    assert set(json.loads(rows[0]["probabilities"])) == {"normal", "tumour"}
    assert "broken.png" in err


def _write_variant(source, folder, change) -> None:
    folder.mkdir()
    dataset = pydicom.dcmread(source)
    change(dataset)
    dataset.save_as(folder / "slice.dcm")


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda ds: setattr(ds, "ImageOrientationPatient", [0, 1, 0, 0, 0, -1]), "not axial"),
        (lambda ds: setattr(ds, "ImageType", ["ORIGINAL", "PRIMARY", "LOCALIZER"]), "localiser"),
        (lambda ds: setattr(ds, "Modality", "MR"), "not CT"),
    ],
)
def test_out_of_scope_reasons(capsys, tmp_path, sample_series_dir, blob_weights_dir, change, words):
    _write_variant(sample_series_dir / "1-10.dcm", tmp_path / "variant", change)
    status, out, _ = _predict(capsys, tmp_path / "variant", "--weights-dir", blob_weights_dir)
    assert status == 0
    scope = json.loads(out)["results"][0]["out_of_scope"]
    assert scope["flagged"] and any(words in reason for reason in scope["reasons"])


def test_nothing_readable_exits_2(capsys, tmp_path, blob_weights_dir):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hello")
    status, out, err = _predict(capsys, tmp_path / "empty", "--weights-dir", blob_weights_dir)
    assert status == 2 and out == ""
    assert err.startswith("lungview predict: nothing could be read")


def test_bad_model_file_exits_2(capsys, sample_series_dir, blob_weights_dir):
    weights = blob_weights_dir / "blob" / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    status, _, err = _predict(capsys, sample_series_dir, "--weights-dir", blob_weights_dir)
    assert status == 2 and "does not match its card" in err


def test_unknown_model_and_bad_slices_exit_2(capsys, sample_series_dir, blob_weights_dir):
    status, _, err = _predict(capsys, sample_series_dir, "--model", "nope", "--weights-dir", blob_weights_dir)
    assert status == 2 and "available: blob" in err
    status, _, err = _predict(capsys, sample_series_dir, "--slices", "a,b", "--weights-dir", blob_weights_dir)
    assert status == 2 and "--slices" in err
