"""ct-tumour-slice building blocks: cell labels from boxes, the per-cell head, the max-cell network and its CAM."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from lungview.models.cell_classifier import CellMaxClassifier
from lungview.models.predict import LoadedModel
from lungview.models.preprocess import CropBox, prepare_input
from lungview.training.tumour_slice import (
    CellHead,
    CellSet,
    TumourSliceConfig,
    box_cover,
    cam_peak_in_box,
    cell_labels,
    draft_card,
    fit_cell_head,
    network_with_head,
)


def tiny_config(**changes) -> TumourSliceConfig:
    values = {"data_root": Path("."), "output_dir": Path("."), "architecture": "tiny-cnn-cells", "size": 64}
    return TumourSliceConfig(**{**values, **changes})


def test_box_cover_follows_the_letterbox():
    cover = box_cover((32, 64, 63, 95), (128, 128), CropBox(0, 128, 0, 128), 64, grid=16)
    assert cover.shape == (16, 16)
    assert cover[8:12, 4:8].min() == pytest.approx(1.0)
    assert cover.sum() == pytest.approx(16.0)


def test_box_cover_follows_the_spacing_crop():
    params = tiny_config(spacing_mm=1.0).params()
    image = np.full((128, 128), -1000.0, np.float32)
    image[16:112, 16:112] = 0.0  # a 48 mm body of 0.5 mm pixels: a 64 mm square is 128 px, centred on it
    _, crop = prepare_input(image, True, params, (0.5, 0.5))
    assert crop == CropBox(0, 128, 0, 128)
    cover = box_cover((32, 64, 63, 95), image.shape, crop, 64, grid=16)
    assert cover[8:12, 4:8].min() == pytest.approx(1.0) and cover.sum() == pytest.approx(16.0)


def test_cell_labels_keep_a_margin_around_the_box():
    cover = np.zeros((6, 6))
    cover[2, 2], cover[2, 3] = 0.9, 0.1
    labels = cell_labels(cover, True, positive_cover=0.3)
    assert labels[2, 2] == 1 and labels[2, 3] == -1 and labels[1, 4] == -1
    assert labels[0, 0] == 0 and labels[5, 5] == 0
    assert (cell_labels(cover, False, 0.3) == 0).all()


def test_cell_labels_mark_a_box_smaller_than_a_cell():
    cover = np.zeros((4, 4))
    cover[1, 1], cover[1, 2] = 0.1, 0.05
    assert cell_labels(cover, True, positive_cover=0.3)[1, 1] == 1


def test_fit_cell_head_separates_tumour_cells():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(6, 1, 9, 5)).astype(np.float16)
    labels = np.zeros((6, 1, 9), np.int8)
    has_tumour = np.array([True, True, True, False, False, False])
    features[:3, 0, 4, 0] += 6
    labels[:3, 0, 4] = 1
    cells = CellSet("synthetic", features, labels, has_tumour)
    head = fit_cell_head([cells], tiny_config(hard_negative_rounds=1, hard_negatives_per_round=5))
    scores = head.slice_scores(cells)
    assert scores[:3].min() > scores[3:].max()


def brightness_network() -> CellMaxClassifier:
    """Cells score the mean brightness of the first input channel (a hand-built known answer)."""
    pick = nn.Conv2d(3, 1, 1, bias=False)
    with torch.no_grad():
        pick.weight.copy_(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1))
    network = CellMaxClassifier(nn.Sequential(pick, nn.AvgPool2d(4)), feature_dim=1, class_count=2)
    return network_with_head(network, CellHead(np.array([1.0], np.float32), -0.5))


def hu_slice(with_nodule: bool) -> np.ndarray:
    image = np.full((64, 64), -850.0, np.float32)
    if with_nodule:
        image[40:48, 12:20] = 40.0
    return image


def test_logits_are_those_of_the_best_cell():
    network = brightness_network().eval()
    x = torch.randn(2, 3, 32, 32)
    best = network.cell_logits(x)[:, 1].flatten(1).max(dim=1).values
    assert torch.allclose(network(x)[:, 1], best, atol=1e-6)
    assert torch.allclose(network.head(network.embed(x)), network(x), atol=1e-6)


def test_cam_peaks_on_the_nodule_and_the_nodule_slice_scores_higher():
    model = LoadedModel(draft_card(tiny_config()), brightness_network())
    nodule, plain = model.predict([hu_slice(True), hu_slice(False)], has_hu=True)
    assert nodule.cancer_probability > plain.cancer_probability
    heatmap = model.cam(hu_slice(True), True, class_name="tumour")
    assert heatmap.shape == (64, 64)
    assert cam_peak_in_box(heatmap, (12, 40, 19, 47))
    assert not cam_peak_in_box(heatmap, (40, 0, 63, 20))


def test_replaced_figures_read_the_previous_card(tmp_path: Path):
    import json

    from lungview.training.tumour_slice import replaced_figures

    assert replaced_figures(tmp_path) is None
    row = {"series": "a", "tumour_slice_auc": 0.7, "cam_peak_in_box": 0.4, "licence": "x"}
    (tmp_path / "card.json").write_text(json.dumps({"version": "0.1.0", "metrics": {"leave_one_patient_out": [row]}}))
    assert replaced_figures(tmp_path) == {
        "version": "0.1.0",
        "leave_one_patient_out": [{"series": "a", "tumour_slice_auc": 0.7, "cam_peak_in_box": 0.4}],
    }
