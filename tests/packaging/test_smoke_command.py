"""``lungview smoke-test``: the network guard, and one real run on the sample series with a tiny model."""

import json
import os
import socket
import subprocess
import sys

import pytest
import torch

from lungview.commands.smoke import MODULES_FILE, REPORT_FILE, SCREENSHOT_FILE, NetworkGuard
from lungview.models.backbones import build_classifier
from lungview.models.card import ModelCard
from lungview.models.preprocess import PreprocessParams
from lungview.models.registry import save_model


def test_guard_blocks_and_records_lookups_and_connects():
    original = socket.getaddrinfo
    with NetworkGuard() as guard:
        with pytest.raises(OSError, match="network access blocked"):
            socket.create_connection(("example.org", 443), timeout=1)
        with pytest.raises(OSError, match="network access blocked"):
            socket.gethostbyname("example.org")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError):
            sock.connect(("127.0.0.1", 9))
    assert len(guard.attempts) == 3
    assert "example.org" in guard.attempts[0]
    assert socket.getaddrinfo is original


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets on this platform")
def test_guard_allows_local_unix_sockets(tmp_path):
    address = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server, NetworkGuard() as guard:
        server.bind(address)
        server.listen(1)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(address)
    assert guard.attempts == []


@pytest.fixture
def tiny_weights(tmp_path):
    """A seeded 32-px two-class model saved through the real registry."""
    torch.manual_seed(0)
    network, _ = build_classifier("tiny-cnn", 2, size=32, pretrained=False)
    card = ModelCard(
        id="tiny", version="test", architecture="tiny-cnn", classes=("normal", "tumour"), cancer_classes=("tumour",),
        cancer_rule="P(tumour)", threshold=0.5, temperature=1.0, preprocessing=PreprocessParams(size=32), sha256="",
    )  # fmt: skip
    save_model(tmp_path / "weights" / "tiny", network.eval(), card)
    return tmp_path / "weights"


def test_smoke_test_opens_the_sample_classifies_and_saves_a_screenshot(tmp_path, tiny_weights):
    out = tmp_path / "smoke"
    command = [sys.executable, "-m", "lungview", "smoke-test", "--out", str(out), "--weights-dir", str(tiny_weights)]
    finished = subprocess.run(
        command, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads((out / REPORT_FILE).read_text())
    assert report["started_at"] < report["first_image_at"] < report["first_result_at"] <= report["first_overlay_at"]
    assert report["first_overlay_at"] <= report["finished_at"]
    assert report["network_attempts"] == []
    result = report["result"]
    assert result["model"] == "tiny" and set(result["probabilities"]) == {"normal", "tumour"}
    assert result["backend"] in {"onnxruntime", "torch"}
    assert len(result["cam_peak"]) == 2
    assert (out / SCREENSHOT_FILE).stat().st_size > 10_000
    modules = (out / MODULES_FILE).read_text().split()
    assert {"torch", "pytorch_grad_cam", "PySide6.QtWidgets", "lungview.commands.smoke"} <= set(modules)


def test_smoke_test_fails_plainly_without_a_model(tmp_path):
    out = tmp_path / "smoke"
    command = [
        sys.executable,
        "-m",
        "lungview",
        "smoke-test",
        "--out",
        str(out),
        "--weights-dir",
        str(tmp_path / "none"),
    ]
    finished = subprocess.run(
        command, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 1
    assert "smoke test failed: no model was found in" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert json.loads((out / REPORT_FILE).read_text())["failure"].startswith("no model was found")
