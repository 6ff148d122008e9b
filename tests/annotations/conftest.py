"""Annotation fixtures: the real QIN (CT + 3 SEG) and 4D-Lung (CT + RTSTRUCT) folders, and broken copies of them."""

from pathlib import Path

import pytest
from annotation_data import LUNG_4D, QIN, qin_with_broken_segs, rtstruct_in_other_frame


@pytest.fixture(scope="session")
def qin_dir(shared_data) -> Path:
    return shared_data / QIN


@pytest.fixture(scope="session")
def lung_4d_dir(shared_data) -> Path:
    return shared_data / LUNG_4D


@pytest.fixture(scope="session")
def broken_qin(qin_dir, tmp_path_factory) -> Path:
    return qin_with_broken_segs(qin_dir, tmp_path_factory.mktemp("broken-qin"))


@pytest.fixture(scope="session")
def other_frame_rtstruct(lung_4d_dir, tmp_path_factory) -> Path:
    return rtstruct_in_other_frame(lung_4d_dir, tmp_path_factory.mktemp("other-frame"))
