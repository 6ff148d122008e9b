"""Stage helpers: seed-averaged heads, the cosine schedule and the trunk cache."""

import numpy as np
import torch

from lungview.models.backbones import build_classifier
from lungview.models.preprocess import PreprocessParams
from lungview.training.audit import ImageRecord
from lungview.training.dataset import cached, trunk_cache_key
from lungview.training.fit import StageSettings, average_states, fit_head


def test_averaged_linear_heads_average_the_logits():
    heads = [torch.nn.Linear(5, 3) for _ in range(3)]
    features = torch.randn(7, 5)
    merged = torch.nn.Linear(5, 3)
    merged.load_state_dict(average_states([h.state_dict() for h in heads]))
    expected = torch.stack([h(features) for h in heads]).mean(0)
    assert torch.allclose(merged(features), expected, atol=1e-6)


def _toy_head_problem():
    network, _ = build_classifier("tiny-cnn", 2, 32, pretrained=False)
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 10)
    features = torch.from_numpy(rng.normal(0, 1, (20, 2, 16)).astype(np.float32))
    features[:, :, 0] += torch.from_numpy(labels * 6.0).float()[:, None]
    return network, features, labels


def test_cosine_schedule_trains_a_separable_head():
    network, features, labels = _toy_head_problem()
    history = fit_head(
        network, features, labels, features[:, :1], labels, StageSettings(30, 0.05, 30, schedule="cosine"), seed=0
    )
    assert len(history.valid_macro_f1) == 30
    assert max(history.valid_macro_f1) == 1.0


def test_trunk_cache_is_keyed_and_reused(tmp_path):
    records = [ImageRecord("a.png", "normal", "train", 1, pixel_md5="1")]
    params = PreprocessParams(size=32)
    key = trunk_cache_key(records, params, "tiny-cnn", 2, 3, seed=0)
    assert key != trunk_cache_key(records, params, "tiny-cnn", 2, 4, seed=0)
    assert key != trunk_cache_key(
        [ImageRecord("a.png", "normal", "train", 1, pixel_md5="2")], params, "tiny-cnn", 2, 3, seed=0
    )
    calls = []

    def compute():
        calls.append(1)
        return torch.arange(4.0)

    first = cached(tmp_path, key, compute)
    second = cached(tmp_path, key, compute)
    assert torch.equal(first, second) and len(calls) == 1
    assert cached(None, key, compute) is not None and len(calls) == 2
