"""A weight file that does not match its model card is refused with a plain message, never loaded or half-used.

The registry tests check :func:`lungview.models.load_model` on a tiny model; these go through what a user runs:
``lungview predict`` and the viewer's AI panel.
"""

import pytest
from ai.fakes import blob_card, blob_network, save_blob_model

from lungview.cli import main
from lungview.models import ModelError, load_model, save_model
from lungview.models.backbones import build_classifier
from lungview.models.card import WEIGHTS_FILE, file_sha256, read_card


def _predict(capsys, sample_series_dir, weights_dir) -> tuple[int, str]:
    status = main(["predict", str(sample_series_dir), "--weights-dir", str(weights_dir)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return status, captured.err


@pytest.fixture
def altered_weights_dir(tmp_path):
    """The blob model with one byte of its weight file changed after the card recorded its SHA-256."""
    weights_dir = save_blob_model(tmp_path / "weights")
    weights = weights_dir / "blob" / WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    return weights_dir


@pytest.fixture
def three_output_weights_dir(tmp_path):
    """A model whose weight file (SHA-256 correct) has 3 outputs while its card lists 2 classes."""
    network, _ = build_classifier("tiny-cnn", 3, size=64, pretrained=False)
    save_model(tmp_path / "weights" / "blob", network, blob_card())
    return tmp_path / "weights"


def test_altered_weight_file_is_refused_with_a_clear_message(capsys, sample_series_dir, altered_weights_dir):
    card = read_card(altered_weights_dir / "blob")
    assert file_sha256(altered_weights_dir / "blob" / WEIGHTS_FILE) != card.sha256
    with pytest.raises(ModelError, match="does not match its card"):
        load_model("blob", altered_weights_dir)
    status, err = _predict(capsys, sample_series_dir, altered_weights_dir)
    assert status == 2
    assert "weight file of model 'blob' does not match its card (SHA-256 differs)" in err


def test_wrong_class_count_is_refused_with_a_clear_message(capsys, sample_series_dir, three_output_weights_dir):
    card = read_card(three_output_weights_dir / "blob")
    assert file_sha256(three_output_weights_dir / "blob" / WEIGHTS_FILE) == card.sha256  # only the shape is wrong
    with pytest.raises(ModelError, match="has 3 outputs but its card lists 2 classes"):
        load_model("blob", three_output_weights_dir)
    status, err = _predict(capsys, sample_series_dir, three_output_weights_dir)
    assert status == 2
    assert "has 3 outputs but its card lists 2 classes" in err


def test_the_unaltered_model_is_accepted(capsys, sample_series_dir, tmp_path):
    """The control: the same model, untouched, loads and classifies (so the refusals above are about the change)."""
    weights_dir = tmp_path / "weights"
    save_model(weights_dir / "blob", blob_network(), blob_card())
    status, _ = _predict(capsys, sample_series_dir, weights_dir)
    assert status == 0


def test_viewer_refuses_the_altered_model_and_says_why(qtbot, tmp_path, sample_series_dir, altered_weights_dir):
    from PySide6.QtCore import QSettings

    from lungview.inference.cache import ClassifierCache
    from lungview.qt.ai_controller import install_ai_panel
    from lungview.qt.main_window import MainWindow

    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    controller = install_ai_panel(window, ClassifierCache(altered_weights_dir))
    window.show()
    qtbot.waitUntil(lambda: "could not be loaded" in controller.panel.status_label.text(), timeout=60_000)
    assert "does not match its card" in controller.panel.status_label.text()
    assert controller.current_analysis() is None
    window.close()
