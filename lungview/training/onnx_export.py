"""Export a shipped model to ONNX and check it against PyTorch on real images (largest logit difference)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from lungview.models.predict import LoadedModel
from lungview.models.preprocess import prepare_input

#: Issue 4's tolerance between ONNX Runtime and PyTorch outputs.
ONNX_TOLERANCE = 1e-4


def export_onnx(model: LoadedModel, path: Path) -> None:
    """Write the network (input ``[N, C, size, size]`` preprocessed, output uncalibrated logits) to ``path``."""
    params = model.card.preprocessing
    example = torch.zeros(1, len(params.channels), params.size, params.size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # the torch.export-based exporter needs onnxscript, which LungView does not ship; the TorchScript one is enough
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model.network.eval(),
            (example,),
            str(path),
            input_names=["image"],
            output_names=["logits"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def verify_onnx(model: LoadedModel, path: Path, images: Sequence[np.ndarray], has_hu: bool = False, batch_size: int = 16) -> dict:
    """Run ONNX Runtime and PyTorch on ``images``; report the largest absolute logit difference and the verdict."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    largest = 0.0
    for start in range(0, len(images), batch_size):
        batch = np.stack([prepare_input(image, has_hu, model.card.preprocessing)[0] for image in images[start : start + batch_size]])
        with torch.inference_mode():
            expected = model.network(torch.from_numpy(batch)).numpy()
        (actual,) = session.run(["logits"], {"image": batch})
        largest = max(largest, float(np.abs(actual - expected).max()))
    return {"images": len(images), "max_abs_logit_difference": largest, "tolerance": ONNX_TOLERANCE, "passed": largest <= ONNX_TOLERANCE}
