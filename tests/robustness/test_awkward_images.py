"""Pictures of every awkward size and mode through ``lungview predict``: each is classified or refused with a reason."""

import json

import numpy as np
import pytest
from PIL import Image

from lungview.cli import main


def _one_pixel(path):
    Image.fromarray(np.array([[128]], np.uint8)).save(path)


def _huge(path):
    Image.new("L", (10_000, 10_000), 0).save(path)  # 100 million pixels; a few hundred kB as PNG


def _sixteen_bit(path):
    Image.fromarray((np.arange(300 * 400).reshape(300, 400) * 7 % 65536).astype(np.uint16)).save(path)
    with Image.open(path) as written:
        assert written.mode == "I;16"


def _rgba(path):
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (200, 300, 4), dtype=np.uint8), "RGBA").save(path)


def _cmyk_jpeg(path):
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (200, 300, 4), dtype=np.uint8), "CMYK").save(path)
    with Image.open(path) as written:
        assert written.mode == "CMYK"


def _animated_gif(path):
    frames = [Image.fromarray(np.full((100, 120), value, np.uint8)) for value in (0, 128, 255)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


AWKWARD = {
    "one-pixel.png": _one_pixel,
    "ten-thousand-square.png": _huge,
    "sixteen-bit.png": _sixteen_bit,
    "rgba.png": _rgba,
    "cmyk.jpg": _cmyk_jpeg,
    "animated.gif": _animated_gif,
}


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("awkward")
    for name, make in AWKWARD.items():
        make(folder / name)
    return folder


def predict_outcome(capsys, path, weights_dir) -> tuple[str, object]:
    """``("classified", record)`` or ``("refused", message)``; anything else fails the test."""
    status = main(["predict", str(path), "--cam", "--weights-dir", str(weights_dir)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if status == 0:
        (record,) = json.loads(captured.out)["results"]
        return "classified", record
    assert status == 2, captured.err
    return "refused", captured.err


@pytest.mark.parametrize("name", AWKWARD)
def test_classified_or_refused_with_a_reason(capsys, pictures, blob_weights_dir, name):
    kind, detail = predict_outcome(capsys, pictures / name, blob_weights_dir)
    if kind == "classified":
        assert detail["path"] == str(pictures / name)
        assert sum(detail["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert detail["predicted"] in detail["probabilities"]
        assert len(detail["cam_peak"]) == 2
    else:
        assert f"{pictures / name}: " in detail  # the file is named, and a reason follows it
        assert len(detail.split(f"{pictures / name}: ", 1)[1].strip()) > 5


def test_an_oversized_picture_is_refused_as_too_large(capsys, pictures, blob_weights_dir):
    """Pillow only warns between 89 and 179 million pixels (then decodes gigabytes); LungView refuses them all."""
    kind, message = predict_outcome(capsys, pictures / "ten-thousand-square.png", blob_weights_dir)
    assert kind == "refused" and "the picture is too large" in message


@pytest.mark.parametrize("name", ["one-pixel.png", "sixteen-bit.png", "rgba.png", "cmyk.jpg"])
def test_readable_modes_are_classified(capsys, pictures, blob_weights_dir, name):
    kind, _ = predict_outcome(capsys, pictures / name, blob_weights_dir)
    assert kind == "classified"


def test_a_one_pixel_picture_is_flagged_out_of_scope(capsys, pictures, blob_weights_dir):
    """A 1×1 picture used to get a confident answer (0.80 cancer from ct-subtype-4) with no out-of-scope flag."""
    kind, record = predict_outcome(capsys, pictures / "one-pixel.png", blob_weights_dir)
    assert kind == "classified"
    assert record["out_of_scope"]["flagged"]
    assert any("only 1×1 pixels" in reason for reason in record["out_of_scope"]["reasons"])


def test_animated_gif_is_refused_not_guessed(capsys, pictures, blob_weights_dir):
    kind, message = predict_outcome(capsys, pictures / "animated.gif", blob_weights_dir)
    assert kind == "refused" and "animated.gif: not a DICOM file" in message
