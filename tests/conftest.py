"""Shared fixtures: offscreen Qt, the bundled sample series, and ../shared/data when it exists."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("LUNGVIEW_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


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
