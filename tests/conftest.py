"""Shared fixtures: offscreen Qt, a temporary per-user data folder, the bundled sample series, ../shared/data."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("LUNGVIEW_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def user_data_in_tmp(tmp_path_factory):
    """Point the per-user data folder (findings, ONNX cache) at a temporary folder, for this process and children."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("user-data")))
        yield


@pytest.fixture
def fresh_onnx_cache(tmp_path, monkeypatch):
    """An empty ONNX cache for one test, so that every model load in it exports (and logs) the same way."""
    import lungview.inference.classifier

    monkeypatch.setattr(lungview.inference.classifier, "default_onnx_cache", lambda: tmp_path / "onnx-cache")


@pytest.fixture(scope="session")
def sample_series_dir() -> Path:
    """The bundled real sample series (30 slices of Lung-PET-CT-Dx A0001)."""
    return REPO_ROOT / "resources" / "sample-series"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests using it are skipped, with the reason shown, when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set LUNGVIEW_SHARED_DATA)")
    return SHARED_DATA
