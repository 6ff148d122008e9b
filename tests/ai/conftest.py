"""Fixtures for the AI tests: the blob model saved through the real registry, and the sample series scanned."""

import pytest
from ai.fakes import save_blob_model


@pytest.fixture
def blob_weights_dir(tmp_path):
    """``tmp_path/weights`` holding the model ``blob``."""
    return save_blob_model(tmp_path / "weights")


@pytest.fixture(scope="session")
def sample_series(sample_series_dir):
    """The bundled sample series, scanned."""
    from lungview.dicom import scan_paths

    return scan_paths([sample_series_dir]).series[0]


@pytest.fixture(autouse=True)
def onnx_cache_per_test(fresh_onnx_cache):
    """Every AI test starts from an empty ONNX cache."""


@pytest.fixture(scope="session")
def onnx_weights_dir(tmp_path_factory):
    """A copy of the shipped weights with each model's ONNX file and manifest, as ``build.py --backend onnx``
    stages them (``model.pt`` kept, so the PyTorch back end can load the same folder)."""
    from lungview import paths
    from lungview.training.onnx_export import stage_onnx_weights

    target = tmp_path_factory.mktemp("onnx") / "weights"
    stage_onnx_weights(paths.weights_dir(), target, keep_weights=True)
    return target
