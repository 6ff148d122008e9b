"""Find, verify, load and save shipped models in ``weights/<id>/`` (``card.json`` + fp16 ``model.pt``)."""

from __future__ import annotations

import dataclasses
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from lungview import paths
from lungview.models.backbones import Classifier, build_classifier
from lungview.models.card import (
    WEIGHTS_FILE,
    ModelCard,
    ModelError,
    file_sha256,
    list_model_ids,
    read_card,
    write_card,
)

log = logging.getLogger(__name__)

__all__ = ["LoadedModel", "list_model_ids", "load_model", "save_model"]


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A network (eval mode) whose weights match its card; :mod:`lungview.inference` classifies with it."""

    card: ModelCard
    network: Classifier


def load_model(model_id: str, weights_dir: Path | None = None) -> LoadedModel:
    """Load model ``model_id`` after checking its weight file's SHA-256 and class count against its card.

    Raises
    ------
    ModelError
        With a plain sentence: unknown id, missing or altered weight file, or a card that does not fit the weights.
    """
    root = weights_dir or paths.weights_dir()
    folder = root / model_id
    if not folder.is_dir():
        raise ModelError(f"no model called {model_id!r} in {root}")
    card = read_card(folder)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelError(f"model {model_id!r} has no weight file ({WEIGHTS_FILE})")
    if file_sha256(weights) != card.sha256:
        raise ModelError(
            f"the weight file of model {model_id!r} does not match its card (SHA-256 differs); "
            "it may be damaged or replaced"
        )
    state = torch.load(weights, map_location="cpu", weights_only=True)
    head = state.get("head.weight")
    if head is None or head.shape[0] != len(card.classes):
        outputs = "no classifier head" if head is None else f"{head.shape[0]} outputs"
        raise ModelError(f"model {model_id!r} has {outputs} but its card lists {len(card.classes)} classes")
    try:
        network, _ = build_classifier(card.architecture, len(card.classes), card.preprocessing.size, pretrained=False)
        network.load_state_dict(
            {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
        )
    except (ValueError, RuntimeError) as error:
        raise ModelError(
            f"the weights of model {model_id!r} do not fit architecture {card.architecture!r} ({error})"
        ) from None
    log.debug("loaded model %s (%s, %d classes)", model_id, card.architecture, len(card.classes))
    return LoadedModel(card, network.eval())


def save_model(folder: Path, network: Classifier, card: ModelCard, half: bool = True) -> ModelCard:
    """Write ``network`` as a state dict (fp16 when ``half``) and ``card`` with the file's SHA-256; return that card."""
    folder.mkdir(parents=True, exist_ok=True)
    dtype = torch.float16 if half else torch.float32
    state = {
        key: value.detach().to(dtype) if value.is_floating_point() else value
        for key, value in network.state_dict().items()
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    (folder / WEIGHTS_FILE).write_bytes(buffer.getvalue())
    final = dataclasses.replace(card, sha256=file_sha256(folder / WEIGHTS_FILE))
    write_card(folder, final)
    return final

