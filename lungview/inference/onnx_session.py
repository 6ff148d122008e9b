"""An ONNX Runtime session of an exported classifier graph (numpy in, numpy out; no torch).

The graph is written by :func:`lungview.inference.fast_path.export_onnx_bytes`, in memory for the fast path of the
PyTorch back end or at build time into a file for the back end without PyTorch. Its input is the preprocessed
batch ``image`` ``[N, C, size, size]``; its outputs are :data:`OUTPUTS`.
"""

from __future__ import annotations

import numpy as np

#: Bump when the exported graph changes, so cached or shipped exports of the old graph are not used.
EXPORT_FORMAT = 5
#: The graph's outputs: uncalibrated ``logits`` ``[N, classes]``; pooled ``features`` ``[N, D]`` (for the OOD
#: score); ``trunk``, the input of the Grad-CAM target layer ``features[-1]`` (so PyTorch Grad-CAM runs only the
#: last stage and the head); ``class_maps`` ``[N, classes, h, w]``, the head's weights applied to every position
#: of the target layer's output without the bias, from which Grad-CAM follows without gradients
#: (:mod:`lungview.inference.onnx_classifier`).
OUTPUTS = ("logits", "features", "trunk", "class_maps")
#: ONNX Runtime threads inside one call unless the caller gives its own: both cores of the target machines.
INTRA_OP_THREADS = 2


class OnnxNetwork:
    """An ONNX Runtime session of the exported graph on ``threads`` intra-op threads (this session's own setting,
    nothing process-wide); safe to call from several threads at once."""

    def __init__(self, onnx_model: bytes, threads: int | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or INTRA_OP_THREADS
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])

    def _outputs(self, names: list[str], batch: np.ndarray) -> list[np.ndarray]:
        return self._session.run(names, {"image": np.ascontiguousarray(batch, np.float32)})

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits ``[N, classes]`` and features ``[N, D]`` for a preprocessed float32 batch ``[N, C, H, W]``."""
        logits, features = self._outputs(["logits", "features"], batch)
        return logits, features

    def trunk(self, batch: np.ndarray) -> np.ndarray:
        """The input of the Grad-CAM target layer for a preprocessed batch."""
        (trunk,) = self._outputs(["trunk"], batch)
        return trunk

    def class_maps(self, batch: np.ndarray) -> np.ndarray:
        """Per-class linear maps ``[N, classes, h, w]`` of the target layer's output (head weights, no bias)."""
        (maps,) = self._outputs(["class_maps"], batch)
        return maps
