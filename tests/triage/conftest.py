"""Fixtures for the triage tests: a made archive, the real model, and one small local Dask cluster per module."""

import pytest
from triage.archive_factory import SLICES, make_archive

MODEL_ID = "ct-lesion-seg"


@pytest.fixture(scope="module")
def archive(tmp_path_factory, shared_data, sample_series_dir):
    """(root, series UID -> ExpectedSeries) of a made archive: 3 real CT series of :data:`SLICES` slices, 8 others."""
    root = tmp_path_factory.mktemp("archive")
    return root, make_archive(root, shared_data / "dicom", sample_series_dir, SLICES)


@pytest.fixture(scope="session")
def model() -> dict:
    """``{"id", "version", "sha256"}`` of the shipped lesion-finding model."""
    from lungview.triage.runner import model_of

    return model_of(MODEL_ID)


@pytest.fixture(scope="session")
def reference_finder():
    """The lesion finder loaded in this process (its ONNX export is cached, so the workers load it in a second)."""
    from lungview.inference.lesion_segmenter import load_lesion_finder

    return load_lesion_finder(MODEL_ID)


@pytest.fixture(scope="session")
def spec(model):
    """The model as the workers load it: one thread each."""
    from lungview.triage.task import ModelSpec

    return ModelSpec(model["id"], model["sha256"], threads=1)


@pytest.fixture(scope="module")
def client(reference_finder):
    """A client of a local cluster of two one-thread workers; a series may kill two workers before it fails."""
    from lungview.triage.cluster import ClusterPlan, local_client

    with local_client(ClusterPlan(workers=2, cores_per_worker=1), allowed_failures=1) as client:
        yield client
