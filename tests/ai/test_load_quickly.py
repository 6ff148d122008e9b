"""The viewer's loader runs a model from its cached ONNX export without importing torch, and still offers every method.

The first load (PyTorch) exports and caches the graph with its manifest; the next process reads the cache, and
imports torch only when a heatmap method other than Grad-CAM is asked for.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from lungview.dicom import SliceStore
from lungview.inference.classifier import load_classifier
from lungview.inference.onnx_classifier import OnnxClassifier

LOAD_FROM_CACHE = """
import json, sys
from pathlib import Path
from lungview.inference.classifier import load_classifier
classifier = load_classifier("blob", Path(sys.argv[1]), onnx_cache=Path(sys.argv[2]), reuse_export=True)
import numpy as np
image = np.load(sys.argv[3])
(result,) = classifier.classify([image], True)
classifier.cam(image, True, "tumour", "gradcam")
torch_before = "torch" in sys.modules
classifier.cam(image, True, "tumour", "hirescam")
print(json.dumps({"backend": classifier.backend, "torch_before_hirescam": torch_before,
                  "torch_after_hirescam": "torch" in sys.modules,
                  "tumour": result.prediction.probabilities["tumour"]}))
"""


def test_second_load_uses_the_cached_export_without_torch(blob_weights_dir, sample_series, tmp_path):
    cache = tmp_path / "cache"
    first = load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True)
    assert first.uses_pytorch_grad_cam and (cache / first.card.sha256 / "onnx.json").is_file()
    image = SliceStore(sample_series).load(20)
    np.save(tmp_path / "slice.npy", image)
    (expected,) = first.classify([image], True)

    command = [sys.executable, "-c", LOAD_FROM_CACHE, str(blob_weights_dir), str(cache), str(tmp_path / "slice.npy")]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    assert outcome["backend"] == "onnxruntime"
    assert not outcome["torch_before_hirescam"] and outcome["torch_after_hirescam"]
    assert abs(outcome["tumour"] - expected.prediction.probabilities["tumour"]) < 1e-5


def test_cached_classifier_heatmaps_match_the_pytorch_back_end(blob_weights_dir, sample_series, tmp_path):
    cache = tmp_path / "cache"
    load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True)
    cached = load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True)
    assert isinstance(cached, OnnxClassifier) and "hirescam" in cached.cam_methods
    reference = load_classifier("blob", blob_weights_dir, fast=False, backend="torch")
    image = SliceStore(sample_series).load(20)
    for method in ("gradcam", "hirescam"):
        difference = np.abs(cached.cam(image, True, "tumour", method) - reference.cam(image, True, "tumour", method))
        assert difference.max() <= 1e-3, method


def test_a_tampered_cache_is_not_used(blob_weights_dir, tmp_path):
    cache = tmp_path / "cache"
    first = load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True)
    cached_file = cache / first.card.sha256 / "model.onnx"
    cached_file.write_bytes(cached_file.read_bytes()[:-10] + b"0123456789")
    again = load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True)
    assert again.uses_pytorch_grad_cam  # loaded through PyTorch, which exported the graph again
    assert isinstance(load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True), OnnxClassifier)


def test_altered_weights_are_refused_even_with_a_cached_export(blob_weights_dir, tmp_path):
    from lungview.models import ModelError

    cache = tmp_path / "cache"
    load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True)
    weights = blob_weights_dir / "blob" / "model.pt"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its card"):
        load_classifier("blob", blob_weights_dir, onnx_cache=cache, reuse_export=True)
