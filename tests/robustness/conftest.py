"""Fixtures for the robustness tests: the blob model saved through the real registry."""

import pytest
from ai.fakes import save_blob_model


@pytest.fixture(scope="module")
def blob_weights_dir(tmp_path_factory):
    """A folder holding the model ``blob`` (a real, loadable model file)."""
    return save_blob_model(tmp_path_factory.mktemp("weights"))
