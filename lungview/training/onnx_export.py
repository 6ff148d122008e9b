"""Export shipped models to ONNX: one file checked against PyTorch, or every model's file for a bundle without torch."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from lungview.inference.fast_path import export_onnx_bytes
from lungview.inference.lesion_segmenter import is_segmentation_card
from lungview.inference.onnx_files import write_onnx_model
from lungview.inference.torch_classifier import one_torch_thread
from lungview.models import list_model_ids, load_model
from lungview.models.card import WEIGHTS_FILE, read_card
from lungview.models.preprocess import prepare_input
from lungview.models.registry import LoadedModel

#: Largest difference allowed between ONNX Runtime and PyTorch outputs.
ONNX_TOLERANCE = 1e-4


def export_onnx(model: LoadedModel, path: Path) -> None:
    """Write the network to ``path`` (input ``image`` ``[N, C, size, size]`` preprocessed; outputs as
    :data:`lungview.inference.onnx_session.OUTPUTS`, the first being the uncalibrated ``logits``)."""
    params = model.card.preprocessing
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(export_onnx_bytes(model.network, len(params.channels), params.size))


def verify_onnx(
    model: LoadedModel, path: Path, images: Sequence[np.ndarray], has_hu: bool = False, batch_size: int = 16
) -> dict:
    """Run ONNX Runtime and PyTorch on ``images``; report the largest absolute logit difference and the verdict."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    largest = 0.0
    for start in range(0, len(images), batch_size):
        batch = np.stack(
            [prepare_input(image, has_hu, model.card.preprocessing)[0] for image in images[start : start + batch_size]]
        )
        with torch.inference_mode():
            expected = model.network(torch.from_numpy(batch)).numpy()
        (actual,) = session.run(["logits"], {"image": batch})
        largest = max(largest, float(np.abs(actual - expected).max()))
    return {
        "images": len(images),
        "max_abs_logit_difference": largest,
        "tolerance": ONNX_TOLERANCE,
        "passed": largest <= ONNX_TOLERANCE,
    }


def stage_onnx_weights(source: Path, target: Path, keep_weights: bool = False) -> list[str]:
    """Copy the models folder ``source`` to ``target`` with each model's verified ONNX file and manifest added.

    The back end without PyTorch reads ``model.onnx``; the PyTorch ``model.pt`` is left out unless
    ``keep_weights``. Returns the model ids. ModelError when a model does not load.
    """
    if target.exists():
        shutil.rmtree(target)
    ignored = () if keep_weights else (WEIGHTS_FILE,)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*ignored))
    model_ids = list_model_ids(source)
    # Measured at load 6 on the 2-core machine: the three shipped models export in 3.7 s on one thread, 16 s on two.
    with one_torch_thread():
        for model_id in model_ids:
            if is_segmentation_card(read_card(source / model_id)):
                continue  # it ships its own verified model.onnx
            model = load_model(model_id, source)
            params = model.card.preprocessing
            onnx_model = export_onnx_bytes(model.network, len(params.channels), params.size)
            write_onnx_model(target / model_id, onnx_model, model.card)
    return model_ids
