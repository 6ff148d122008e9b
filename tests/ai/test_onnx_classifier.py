"""The back end without PyTorch gives the PyTorch back end's probabilities, OOD scores and Grad-CAM.

Each shipped model, on real CT slices of the bundled sample series; the heatmaps are compared with
``pytorch_grad_cam``'s GradCAM on the whole PyTorch network (the torch back end without its fast path).
"""

import numpy as np
import pytest
from ai.fakes import BLOB_CENTRE, blob_slice

from lungview.dicom import SliceStore
from lungview.inference.classifier import BACKEND_VARIABLE, load_classifier, selected_backend
from lungview.inference.model_choice import LESION_MODEL
from lungview.inference.onnx_classifier import OnnxClassifier
from lungview.models import ModelError, list_model_ids

SLICES = (8, 21)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """PyTorch on one thread: on a busy 2-core machine two OpenMP threads make each Grad-CAM several times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def real_slices(sample_series):
    store = SliceStore(sample_series)
    return [store.load(i) for i in SLICES]


#: The slice classifiers (the lesion segmentation model ships its own ONNX file: tests/ai/test_lesion_segmenter.py).
CLASSIFIERS = [m for m in list_model_ids() if m != LESION_MODEL]


@pytest.mark.parametrize("model_id", CLASSIFIERS)
def test_onnx_back_end_matches_pytorch_on_real_slices(model_id, onnx_weights_dir, real_slices):
    onnx = load_classifier(model_id, onnx_weights_dir, backend="onnx")
    assert isinstance(onnx, OnnxClassifier) and onnx.cam_methods == ("gradcam",)
    torch_model = load_classifier(model_id, onnx_weights_dir, fast=False, backend="torch")
    peaks = []
    for number, image in enumerate(real_slices):
        (classification,) = onnx.classify([image], True)
        expected = torch_model.classify([image], True)[0].prediction
        got = classification.prediction
        assert got.predicted == expected.predicted
        assert max(abs(got.probabilities[c] - expected.probabilities[c]) for c in onnx.card.classes) < 1e-4
        if onnx.reference is not None:
            import torch

            batch = onnx.prepare([image], True)
            with torch.inference_mode():
                features = torch_model.model.network.embed(torch.from_numpy(batch)).numpy()
            assert classification.ood_score == pytest.approx(float(onnx.reference.score(features)[0]), rel=1e-4)
        class_name = expected.predicted if number == 0 else onnx.card.classes[-1]  # also one it may not predict
        heatmap = onnx.cam(image, True, class_name)
        reference = torch_model.cam(image, True, class_name, "gradcam")
        assert heatmap.shape == reference.shape == image.shape
        assert np.abs(heatmap - reference).max() < 1e-3, (model_id, class_name)
        peaks.append(heatmap.max())
    # not only empty maps, which agree trivially
    assert max(peaks) > 0.9


def test_onnx_grad_cam_peaks_on_the_blob(blob_weights_dir):
    from lungview.training.onnx_export import stage_onnx_weights

    staged = blob_weights_dir.parent / "staged"
    stage_onnx_weights(blob_weights_dir, staged)
    classifier = load_classifier("blob", staged, backend="onnx")
    heatmap = classifier.cam(blob_slice(), True, "tumour")
    row, col = np.unravel_index(int(np.argmax(heatmap)), heatmap.shape)
    assert abs(row - BLOB_CENTRE[0]) <= 16 and abs(col - BLOB_CENTRE[1]) <= 16
    with pytest.raises(ModelError, match="needs PyTorch"):
        classifier.cam(blob_slice(), True, "tumour", "eigencam")
    with pytest.raises(ModelError, match="no class"):
        classifier.cam(blob_slice(), True, "cyst")


def test_backend_is_chosen_by_the_environment_variable(monkeypatch):
    monkeypatch.setenv(BACKEND_VARIABLE, "onnx")
    assert selected_backend() == "onnx"
    monkeypatch.setenv(BACKEND_VARIABLE, "torch")
    assert selected_backend() == "torch"
    monkeypatch.delenv(BACKEND_VARIABLE)
    assert selected_backend() == "torch"  # PyTorch is installed in the test environment


def test_onnx_back_end_without_an_onnx_file_says_what_is_missing(blob_weights_dir):
    with pytest.raises(ModelError, match="no ONNX file"):
        load_classifier("blob", blob_weights_dir, backend="onnx")
    with pytest.raises(ModelError, match="unknown back end"):
        load_classifier("blob", blob_weights_dir, backend="tensorflow")
