"""Export a classifier to ONNX, and its ONNX Runtime fast path for probabilities and triage.

On this project's 2-core CPU ONNX Runtime runs EfficientNet-Lite0 at 224 px about ten times faster than PyTorch
eager (measured in ``lungview.bench.ai``). For the PyTorch back end the copy is exported in memory from the
verified weights when a model loads, so it can never disagree with the card; the back end without PyTorch ships
the same graph as a file exported at build time (:mod:`lungview.inference.onnx_files`). The graph's outputs are
listed in :data:`lungview.inference.onnx_session.OUTPUTS`.
"""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from lungview.inference.onnx_files import has_onnx_model, read_onnx_model, write_onnx_model
from lungview.inference.onnx_session import OUTPUTS, OnnxNetwork
from lungview.models.card import ModelCard
from lungview.models.network import Classifier

log = logging.getLogger(__name__)


class _ExportedGraph(nn.Module):
    """``x -> (logits, pooled features, trunk, class maps)`` of a :class:`Classifier` (no dropout in eval).

    ``trunk`` is the input of the Grad-CAM target layer ``features[-1]``. ``class_maps`` applies the linear head,
    without its bias, to every position of that layer's output: for a global-average-pool head the Grad-CAM channel
    weights are the head's weights divided by the number of positions, so Grad-CAM is the ReLU of these maps up to
    a scale that its normalisation removes.
    """

    def __init__(self, network: Classifier):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        trunk = self.network.features[:-1](x)
        feature_map = self.network.features[-1](trunk)
        features = torch.flatten(self.network.pool(feature_map), 1)
        class_maps = nn.functional.conv2d(feature_map, self.network.head.weight[:, :, None, None])
        return self.network.head(features), features, trunk, class_maps


def export_onnx_bytes(network: Classifier, channels: int, size: int) -> bytes:
    """The network as an ONNX model (input ``image`` ``[N, C, size, size]``; outputs as ``OUTPUTS``)."""
    buffer = io.BytesIO()
    example = torch.zeros(1, channels, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter warns about its own deprecation
        torch.onnx.export(
            _ExportedGraph(network.eval()),
            (example,),
            buffer,
            input_names=["image"],
            output_names=list(OUTPUTS),
            dynamic_axes={name: {0: "batch"} for name in ("image", *OUTPUTS)},
            opset_version=17,
            dynamo=False,
        )
    network.eval()  # the exporter restores the wrapper's default training mode, and with it the network's
    return buffer.getvalue()


def build_fast_path(
    network: Classifier,
    channels: int,
    size: int,
    cache_folder: Path | None = None,
    card: ModelCard | None = None,
    threads: int | None = None,
) -> OnnxNetwork | None:
    """An :class:`OnnxNetwork` for ``network``, or None (logged) when ONNX export or ONNX Runtime is unavailable.

    ``cache_folder`` keeps the export of the weights ``card`` describes between sessions, with the manifest of
    :mod:`lungview.inference.onnx_files` (the export takes seconds, reading it back milliseconds;
    :func:`lungview.inference.classifier.load_classifier` with ``reuse_export`` reads it without torch). A cached
    export that does not verify or load is exported again. ``threads``: the session's intra-op threads (None:
    :data:`~lungview.inference.onnx_session.INTRA_OP_THREADS`).
    """
    if cache_folder is not None and card is None:
        raise ValueError("caching the ONNX export needs the model card of the weights")
    if cache_folder is not None and has_onnx_model(cache_folder):
        try:
            return OnnxNetwork(read_onnx_model(cache_folder, card), threads)
        except Exception as error:  # noqa: BLE001 - a damaged or stale cache is rebuilt below
            log.debug("the cached ONNX model of %s is not usable (%s); exporting again", card.id, error)
    try:
        onnx_model = export_onnx_bytes(network, channels, size)
        fast_path = OnnxNetwork(onnx_model, threads)
    except Exception as error:  # noqa: BLE001 - any exporter or runtime failure falls back to PyTorch
        log.warning("ONNX Runtime fast path unavailable, using PyTorch (%s)", error)
        return None
    if cache_folder is not None:
        try:
            write_onnx_model(cache_folder, onnx_model, card)
        except OSError as error:
            log.debug("cannot cache the ONNX model (%s)", error)
    return fast_path
