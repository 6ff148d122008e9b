"""An ONNX Runtime copy of a classifier for probabilities and triage; Grad-CAM stays in PyTorch.

On this project's 2-core CPU ONNX Runtime runs EfficientNet-Lite0 at 224 px about ten times faster than PyTorch
eager (measured in ``lungview.bench.ai``). The copy is exported in memory from the verified weights when a model
loads, so it can never disagree with the card; it returns the logits and the pooled backbone features (for the
out-of-distribution score) in one pass, and the input of the Grad-CAM target layer, so that a heatmap runs only
the last stage and the head in PyTorch.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lungview.models.backbones import Classifier

log = logging.getLogger(__name__)

#: Bump when the exported graph changes, so cached exports of the old graph are not used.
EXPORT_FORMAT = 2
#: ONNX Runtime threads inside one call: both cores of the target machines.
INTRA_OP_THREADS = 2


class _LogitsFeaturesTrunk(nn.Module):
    """``x -> (logits, pooled features, trunk)`` of a :class:`Classifier` (dropout is inactive in eval mode).

    ``trunk`` is the input of the Grad-CAM target layer ``features[-1]``, so a heatmap needs PyTorch only for that
    last stage and the head.
    """

    def __init__(self, network: Classifier):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        trunk = self.network.features[:-1](x)
        features = torch.flatten(self.network.pool(self.network.features[-1](trunk)), 1)
        return self.network.head(features), features, trunk


def export_onnx_bytes(network: Classifier, channels: int, size: int) -> bytes:
    """The network as an ONNX model (input ``image`` ``[N, C, size, size]``; outputs ``logits``, ``features``, ``trunk``)."""
    buffer = io.BytesIO()
    example = torch.zeros(1, channels, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter warns about its own deprecation
        torch.onnx.export(
            _LogitsFeaturesTrunk(network.eval()),
            (example,),
            buffer,
            input_names=["image"],
            output_names=["logits", "features", "trunk"],
            dynamic_axes={name: {0: "batch"} for name in ("image", "logits", "features", "trunk")},
            opset_version=17,
            dynamo=False,
        )
    network.eval()  # the exporter restores the wrapper's default training mode, and with it the network's
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

    def trunk(self, batch: np.ndarray) -> np.ndarray:
        """The input of the Grad-CAM target layer for a preprocessed batch."""
        (trunk,) = self._session.run(["trunk"], {"image": np.ascontiguousarray(batch, np.float32)})
        return trunk


def build_fast_path(network: Classifier, channels: int, size: int, cache_file: Path | None = None) -> OnnxFastPath | None:
    """An :class:`OnnxFastPath` for ``network``, or None (logged) when ONNX export or ONNX Runtime is unavailable.

    ``cache_file`` (named after the verified weights' SHA-256) keeps the exported model between sessions: the export
    takes seconds, reading it back milliseconds. A cached file that does not load is exported again.
    """
    if cache_file is not None and cache_file.is_file():
        try:
            return OnnxFastPath(cache_file.read_bytes())
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt below
            log.debug("the cached ONNX model %s does not load; exporting again", cache_file.name)
    try:
        onnx_model = export_onnx_bytes(network, channels, size)
        fast_path = OnnxFastPath(onnx_model)
    except Exception as error:  # noqa: BLE001 - any exporter or runtime failure falls back to PyTorch
        log.warning("ONNX Runtime fast path unavailable, using PyTorch (%s)", error)
        return None
    if cache_file is not None:
        _write_atomically(cache_file, onnx_model)
    return fast_path


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so no reader ever sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        log.debug("cannot cache the ONNX model (%s)", error)
