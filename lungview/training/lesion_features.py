"""The frozen encoder's features of every training sample, computed once with ONNX Runtime and kept on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lungview.models.lesion_unet import Encoder

BATCH = 16


def export_encoder(encoder: Encoder, path: Path, size: int) -> Path:
    """``encoder`` as an ONNX file with one output per tap."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            encoder.eval(),
            torch.zeros(1, 3, size, size),
            str(path),
            input_names=["input"],
            output_names=["f4", "f8", "f16", "f32"],
            dynamic_axes={"input": {0: "batch"}},
            dynamo=False,
        )
    return path


def encode(encoder_onnx: Path, inputs: np.ndarray, threads: int = 2) -> list[np.ndarray]:
    """The four tap feature maps (float16) of ``inputs`` ``[n, 3, size, size]``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(encoder_onnx), options, providers=["CPUExecutionProvider"])
    outputs: list[list[np.ndarray]] = [[], [], [], []]
    for start in range(0, len(inputs), BATCH):
        batch = inputs[start : start + BATCH].astype(np.float32)
        for store, value in zip(outputs, session.run(None, {"input": batch})):
            store.append(value.astype(np.float16))
    return [np.concatenate(parts) for parts in outputs]
