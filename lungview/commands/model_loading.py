"""Load the models a command names, each once, with a plain error naming the shipped models when one cannot load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lungview.inference.classifier import SliceClassifier


def model_loader(
    weights_dir: Path | None, error: type[Exception], **options
) -> tuple[list[str], Callable[[str], SliceClassifier]]:
    """The shipped model ids and ``load(model_id)``, which loads each model once.

    ``options`` go to :func:`~lungview.inference.classifier.load_classifier`; a model that cannot be loaded raises
    ``error`` with the reason and the available ids. Importing this module imports neither torch nor the models.
    """
    from lungview.inference.classifier import load_classifier
    from lungview.models import ModelError, list_model_ids

    available = list_model_ids(weights_dir)
    loaded: dict[str, SliceClassifier] = {}

    def load(model_id: str) -> SliceClassifier:
        if model_id not in loaded:
            try:
                loaded[model_id] = load_classifier(model_id, weights_dir, **options)
            except ModelError as failure:
                hint = f" (available: {', '.join(available)})" if available else ""
                raise error(f"{failure}{hint}") from None
        return loaded[model_id]

    return available, load
