"""Classify, explain and triage without Qt: the blob model on synthetic and real slices."""

import dataclasses
import gc
import tracemalloc

import numpy as np
import pytest
from ai.fakes import BLOB_CENTRE, blob_slice

from lungview.dicom import SliceStore
from lungview.inference.classifier import load_classifier
from lungview.inference.jobs import cam_for_slice, classify_slice, triage_series


@pytest.fixture
def classifier(blob_weights_dir):
    return load_classifier("blob", blob_weights_dir)


@pytest.fixture
def blob_series(sample_series):
    """A one-slice axial CT series description to go with :func:`blob_slice`."""
    return dataclasses.replace(sample_series, slices=sample_series.slices[:1], rows=400, columns=480)


def test_classify_slice_gives_calibrated_probabilities(classifier, sample_series):
    image = SliceStore(sample_series).load(15)
    analysis = classify_slice(classifier, sample_series, 15, image)
    probabilities = analysis.classification.prediction.probabilities
    assert set(probabilities) == {"normal", "tumour"}
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert analysis.index == 15 and analysis.series_uid == sample_series.series_uid
    assert analysis.out_of_scope == ()


def test_onnx_fast_path_agrees_with_pytorch(classifier, blob_weights_dir, sample_series):
    assert classifier.backend == "onnxruntime"
    reference = load_classifier("blob", blob_weights_dir, fast=False)
    assert reference.backend == "torch"
    store = SliceStore(sample_series)
    images = [store.load(i) for i in (0, 12, 29)] + [blob_slice()]
    batch = classifier.prepare(images, True)
    fast_logits, fast_features = classifier.logits_and_features(batch)
    slow_logits, slow_features = reference.logits_and_features(batch)
    assert np.abs(fast_logits - slow_logits).max() <= 1e-4
    assert np.abs(fast_features - slow_features).max() <= 1e-4


def test_loading_with_the_fast_path_leaves_the_network_in_eval_mode(classifier):
    assert classifier.model.network.training is False  # the ONNX exporter used to leave it in training mode


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "hirescam", "layercam", "eigencam"])
def test_cam_peaks_on_the_blob_in_slice_pixels(classifier, blob_series, method):
    attention = cam_for_slice(classifier, blob_series, 0, blob_slice(), "tumour", method)
    assert attention.heatmap.shape == (400, 480)
    assert 0.0 <= attention.heatmap.min() and attention.heatmap.max() <= 1.0
    row, col = attention.peak
    assert abs(row - BLOB_CENTRE[0]) <= 16 and abs(col - BLOB_CENTRE[1]) <= 16


def test_cam_leaves_the_network_as_it_was(classifier, blob_series):
    flags = [p.requires_grad for p in classifier.model.network.parameters()]
    cam_for_slice(classifier, blob_series, 0, blob_slice(), "tumour")
    assert [p.requires_grad for p in classifier.model.network.parameters()] == flags
    assert not any(module._forward_hooks for module in classifier.model.network.modules())


@pytest.mark.parametrize("fast", [True, False], ids=["split-onnx-torch", "whole-torch"])
def test_cam_hooks_are_released_memory_stays_flat(blob_weights_dir, blob_series, fast):
    classifier = load_classifier("blob", blob_weights_dir, fast=fast)
    image = blob_slice()
    for _ in range(10):
        cam_for_slice(classifier, blob_series, 0, image, "tumour")
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(200):
            cam_for_slice(classifier, blob_series, 0, image, "tumour")
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - before < 2 * 1024**2  # one leaked heatmap per call alone would be 200 x 768 kB
    assert not any(module._forward_hooks or module._backward_hooks for module in classifier.model.network.modules())


def test_triage_scores_every_slice_and_reports_progress(classifier, sample_series):
    reports = []
    result = triage_series(
        classifier, SliceStore(sample_series), progress=lambda done, total: reports.append((done, total))
    )
    assert result.complete and not result.failures
    assert not np.isnan(result.cancer_probabilities).any()
    assert reports[-1] == (30, 30)
    top = result.most_suspicious(5)
    assert len(top) == 5 and top[0][1] == pytest.approx(float(np.nanmax(result.cancer_probabilities)))


def test_triage_stops_when_cancelled(classifier, sample_series):
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 1

    result = triage_series(classifier, SliceStore(sample_series), cancelled=cancelled)
    assert not result.complete
    assert np.isnan(result.cancer_probabilities).sum() >= len(sample_series) - 8


@pytest.mark.parametrize("method", ["gradcam", "hirescam", "eigencam"])
def test_split_cam_agrees_with_the_whole_pytorch_network(classifier, blob_weights_dir, sample_series, method):
    reference = load_classifier("blob", blob_weights_dir, fast=False)
    image = SliceStore(sample_series).load(20)
    fast = classifier.cam(image, True, "tumour", method)
    slow = reference.cam(image, True, "tumour", method)
    assert np.abs(fast - slow).max() <= 1e-3


def test_onnx_export_is_cached_and_rebuilt_when_damaged(blob_weights_dir, tmp_path):
    cache = tmp_path / "cache"
    first = load_classifier("blob", blob_weights_dir, onnx_cache=cache)
    (cached,) = cache.glob("*/model.onnx")
    assert cached.parent.name == first.card.sha256
    cached.write_bytes(b"damaged")
    again = load_classifier("blob", blob_weights_dir, onnx_cache=cache)
    assert again.backend == "onnxruntime" and cached.stat().st_size > 100
