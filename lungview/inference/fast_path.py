"""An ONNX Runtime copy of a classifier for probabilities and triage; Grad-CAM stays in PyTorch.

On this project's 2-core CPU ONNX Runtime runs EfficientNet-Lite0 at 224 px about ten times faster than PyTorch
eager (measured in ``lungview.bench.ai``). The copy is exported in memory from the verified weights when a model
loads, so it can never disagree with the card; it returns the logits and the pooled backbone features (for the
out-of-distribution score) in one pass.
"""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np
import torch
from torch import nn

from lungview.models.backbones import Classifier

log = logging.getLogger(__name__)

#: ONNX Runtime threads inside one call: both cores of the target machines.
INTRA_OP_THREADS = 2


class _LogitsAndFeatures(nn.Module):
    """``x -> (logits, pooled features)`` of a :class:`Classifier` (dropout is inactive in eval mode)."""

    def __init__(self, network: Classifier):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.network.embed(x)
        return self.network.head(features), features


def export_onnx_bytes(network: Classifier, channels: int, size: int) -> bytes:
    """The network as an ONNX model (input ``image`` ``[N, C, size, size]``; outputs ``logits``, ``features``)."""
    buffer = io.BytesIO()
    example = torch.zeros(1, channels, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter warns about its own deprecation
        torch.onnx.export(
            _LogitsAndFeatures(network.eval()),
            (example,),
            buffer,
            input_names=["image"],
            output_names=["logits", "features"],
            dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    return buffer.getvalue()


class OnnxFastPath:
    """An ONNX Runtime session computing logits and pooled features for preprocessed batches."""

    def __init__(self, onnx_model: bytes):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = INTRA_OP_THREADS
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits ``[N, classes]`` and features ``[N, D]`` for a preprocessed float32 batch ``[N, C, H, W]``."""
        logits, features = self._session.run(["logits", "features"], {"image": np.ascontiguousarray(batch, np.float32)})
        return logits, features


def build_fast_path(network: Classifier, channels: int, size: int) -> OnnxFastPath | None:
    """An :class:`OnnxFastPath` for ``network``, or None (logged) when ONNX export or ONNX Runtime is unavailable."""
    try:
        return OnnxFastPath(export_onnx_bytes(network, channels, size))
    except Exception as error:  # noqa: BLE001 - any exporter or runtime failure falls back to PyTorch
        log.warning("ONNX Runtime fast path unavailable, using PyTorch (%s)", error)
        return None
