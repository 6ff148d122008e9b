"""``lungview train``: each family gets every option it takes, and refuses the other family's."""

from pathlib import Path

import pytest

import lungview.training.lesion_model
import lungview.training.pipeline
from lungview.cli import main


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("layout", ["real-ct-lesions", "real-ct-tumour"])
def test_real_ct_lesions_gets_weights_and_cache_folders(layout, data_root: Path, tmp_path: Path, monkeypatch, capsys):
    calls = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))
        return 0

    monkeypatch.setattr(lungview.training.lesion_model, "run_training", record)
    argv = ["train", layout, str(data_root), "--model-id", "m", "--weights-dir", str(tmp_path / "w"),
            "--cache-dir", str(tmp_path / "features")]  # fmt: skip
    assert main(argv) == 0
    assert calls == [((data_root, tmp_path / "w", "m"), {"cache_dir": tmp_path / "features"})]
    assert ("deprecated" in capsys.readouterr().err) == (layout == "real-ct-tumour")


def test_real_ct_lesions_refuses_slice_classifier_options(data_root: Path, monkeypatch, capsys):
    monkeypatch.setattr(lungview.training.lesion_model, "run_training", lambda *args, **kwargs: pytest.fail("trained"))
    argv = ["train", "real-ct-lesions", str(data_root), "--model-id", "m", "--size", "288", "--model-version", "2"]
    assert main(argv) == 2
    assert "--size, --model-version apply to the slice classifiers only" in capsys.readouterr().out


def test_slice_classifier_options_reach_the_config(data_root: Path, tmp_path: Path, monkeypatch, capsys):
    configs = []

    def refuse(config, progress):
        configs.append(config)
        raise ValueError("stop here")

    monkeypatch.setattr(lungview.training.pipeline, "train_model", refuse)
    argv = ["train", "iqothnccd", str(data_root), "--model-id", "m", "--weights-dir", str(tmp_path),
            "--size", "352", "288", "--seeds", "4", "--cache-dir", str(tmp_path / "trunk"),
            "--stage2-lr", "3e-4", "--model-version", "2"]  # fmt: skip
    assert main(argv) == 2
    assert "lungview train: stop here" in capsys.readouterr().out
    (config,) = configs
    assert (config.sizes, config.seeds, config.cache_dir, config.version) == ((288, 352), (4,), tmp_path / "trunk", "2")
    assert config.stage2.learning_rate == 3e-4 and config.output_dir == tmp_path and config.model_id == "m"
