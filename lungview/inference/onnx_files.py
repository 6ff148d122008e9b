"""A model's ONNX file for the back end without PyTorch, and the manifest that vouches for it.

``weights/<id>/model.onnx`` is exported at build time (``packaging/build.py --backend onnx``), never committed.
``weights/<id>/onnx.json`` beside it records the file's SHA-256, the SHA-256 of the weights it was exported from
(the card's ``sha256``) and the graph format. :func:`read_onnx_model` checks all three before the bytes reach
ONNX Runtime, as :func:`lungview.models.load_model` checks ``model.pt`` against the card.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from lungview.inference.onnx_session import EXPORT_FORMAT, OUTPUTS
from lungview.models.card import ModelCard, ModelError

ONNX_FILE = "model.onnx"
MANIFEST_FILE = "onnx.json"


def has_onnx_model(folder: Path) -> bool:
    """True when ``folder`` holds an ONNX file and its manifest."""
    return (folder / ONNX_FILE).is_file() and (folder / MANIFEST_FILE).is_file()


def write_onnx_model(folder: Path, onnx_model: bytes, card: ModelCard) -> Path:
    """Write ``onnx_model`` (exported from the weights ``card`` describes) and its manifest; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ONNX_FILE
    _write_atomically(path, onnx_model)
    manifest = {
        "file": ONNX_FILE,
        "sha256": hashlib.sha256(onnx_model).hexdigest(),
        "weights_sha256": card.sha256,
        "export_format": EXPORT_FORMAT,
        "outputs": list(OUTPUTS),
    }
    _write_atomically(folder / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` through a temporary file, so a reader (another LungView) never sees half a file."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def read_onnx_model(folder: Path, card: ModelCard) -> bytes:
    """The verified bytes of ``folder``'s ONNX file for the model of ``card``.

    Raises
    ------
    ModelError
        With a plain sentence: no ONNX file, an unreadable manifest, a file that does not match its manifest, or
        an export of other weights or of an older graph format.
    """
    path, manifest_path = folder / ONNX_FILE, folder / MANIFEST_FILE
    if not has_onnx_model(folder):
        raise ModelError(
            f"model {card.id!r} has no ONNX file ({ONNX_FILE} with {MANIFEST_FILE}), which this build needs because "
            "it runs without PyTorch (packaging/build.py --backend onnx exports it)"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        expected, weights, export_format = manifest["sha256"], manifest["weights_sha256"], manifest["export_format"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"the ONNX manifest of model {card.id!r} cannot be read ({error})") from None
    onnx_model = path.read_bytes()
    if hashlib.sha256(onnx_model).hexdigest() != expected:
        raise ModelError(
            f"the ONNX file of model {card.id!r} does not match its manifest (SHA-256 differs); "
            "it may be damaged or replaced"
        )
    if weights != card.sha256:
        raise ModelError(f"the ONNX file of model {card.id!r} was exported from other weights than its card describes")
    if export_format != EXPORT_FORMAT:
        raise ModelError(
            f"the ONNX file of model {card.id!r} has graph format {export_format}, "
            f"this LungView reads {EXPORT_FORMAT}; export it again"
        )
    return onnx_model
