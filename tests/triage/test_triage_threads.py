"""The triage task gives its thread count to the model it loads, and sets nothing process-wide."""

import os
from types import SimpleNamespace

import pytest

from lungview.inference import onnx_session
from lungview.models import ModelError
from lungview.triage import task


@pytest.fixture
def loads(monkeypatch):
    """Calls of the task's model loader (a fake returning a segmenter whose card has sha256 ``abc``)."""
    calls = []

    def fake_load(model_id, weights_dir=None, **options):
        calls.append((model_id, options))
        segmentation = {"calibration": {"slope": 1.0, "intercept": 0.0}, "pixel_threshold": 0.5}
        card = SimpleNamespace(id=model_id, sha256="abc", segmentation=segmentation)
        return SimpleNamespace(card=card)

    monkeypatch.setattr(task, "load_classifier", fake_load)
    monkeypatch.setattr(task, "_finders", {})
    return calls


def test_the_threads_go_to_the_model_and_nowhere_else(loads, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    finder = task.finder_for(task.ModelSpec("m", "abc", threads=3))
    assert loads == [("m", {"reuse_export": True, "threads": 3})]
    assert finder.segmenter.card.sha256 == "abc"
    assert "OMP_NUM_THREADS" not in os.environ
    assert onnx_session.INTRA_OP_THREADS == 2
    assert task.finder_for(task.ModelSpec("m", "abc", threads=3)) is finder  # loaded once per process


def test_other_weights_than_the_run_names_are_refused(loads):
    with pytest.raises(ModelError, match="not those of the run"):
        task.finder_for(task.ModelSpec("m", "def", threads=1))
