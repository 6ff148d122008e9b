"""Load each classifier once, on the first worker thread that needs it; importing this module loads nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lungview import paths
from lungview.inference.once_per_key import OncePerKey

if TYPE_CHECKING:
    from lungview.inference.classifier import SliceClassifier


def _load_shipped(model_id: str, weights_dir: Path | None) -> SliceClassifier:
    from lungview.inference.classifier import load_classifier

    return load_classifier(model_id, weights_dir, reuse_export=True)


def _list_shipped(weights_dir: Path | None) -> list[str]:
    from lungview.models import list_model_ids

    return list_model_ids(weights_dir)


class ClassifierCache:
    """Classifiers by model id, each loaded once (two threads asking at once wait for one load).

    ``loader(model_id)`` and ``lister()`` default to the shipped weights; tests pass fakes.
    """

    def __init__(
        self,
        weights_dir: Path | None = None,
        loader: Callable[[str], Any] | None = None,
        lister: Callable[[], list[str]] | None = None,
    ):
        self.weights_dir = weights_dir or paths.weights_dir()
        self._loader = loader or (lambda model_id: _load_shipped(model_id, weights_dir))
        self._lister = lister or (lambda: _list_shipped(weights_dir))
        self._loaded: OncePerKey[str, Any] = OncePerKey()

    def model_folder(self, model_id: str) -> Path:
        """The folder of ``model_id``'s card, weights and report."""
        return self.weights_dir / model_id

    def model_ids(self) -> list[str]:
        """Ids of the models that can be loaded (reads the weights folder)."""
        return list(self._lister())

    def is_loaded(self, model_id: str) -> bool:
        """True once ``model_id`` has been loaded."""
        return model_id in self._loaded

    def get(self, model_id: str) -> SliceClassifier:
        """The classifier ``model_id``, loaded now on this thread if no one has yet (ModelError when it cannot be)."""
        return self._loaded.get(model_id, lambda: self._loader(model_id))
