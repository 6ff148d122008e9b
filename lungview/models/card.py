"""The model card: a frozen record of what a shipped model is, read from and written to ``card.json``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from lungview import paths
from lungview.models.preprocess import PreprocessParams

CARD_FILE = "card.json"
WEIGHTS_FILE = "model.pt"


class ModelError(Exception):
    """A model cannot be loaded or used; the message is a plain sentence for the user."""


@dataclass(frozen=True)
class ModelCard:
    """Everything the app and a reader need to know about one shipped model.

    ``cancer_classes`` and ``cancer_rule`` say how the cancer probability is computed: the sum of the calibrated
    probabilities of ``cancer_classes`` (for ``ct-subtype-4`` that is ``1 - P(normal)``).
    """

    id: str
    version: str
    architecture: str
    classes: tuple[str, ...]
    cancer_classes: tuple[str, ...]
    cancer_rule: str
    threshold: float
    temperature: float
    preprocessing: PreprocessParams
    sha256: str
    pretrained_source: str = ""
    hu_input: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    intended_use: str = ""
    limits: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    lesion_finder: bool = False
    """True when the model scores slices through lesion candidates of a whole CT series (lungview.detection):
    a slice's cancer probability is the best score of the findings that span it."""

    def identity(self) -> dict[str, str]:
        """``{"id", "version", "sha256"}``: exactly which model made a result (JSON output, worklists, DICOM SR)."""
        return {"id": self.id, "version": self.version, "sha256": self.sha256}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        data = asdict(self)
        data["preprocessing"] = self.preprocessing.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        """Build a card from ``card.json`` content; ModelError when a required field is missing."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        try:
            values["preprocessing"] = PreprocessParams.from_dict(data["preprocessing"])
            for name in ("classes", "cancer_classes", "limits", "notes"):
                values[name] = tuple(values.get(name, ()))
            card = cls(**values)
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"the model card is incomplete or invalid ({error})") from None
        unknown = set(card.cancer_classes) - set(card.classes)
        if unknown:
            raise ModelError(f"the model card names cancer classes that are not model classes: {sorted(unknown)}")
        return card


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def list_model_ids(weights_dir: Path | None = None) -> list[str]:
    """Sorted ids of the folders in ``weights_dir`` (default: the shipped weights) that hold a ``card.json``."""
    root = weights_dir or paths.weights_dir()
    if not root.is_dir():
        return []
    return sorted(folder.name for folder in root.iterdir() if (folder / CARD_FILE).is_file())


def read_card(folder: Path) -> ModelCard:
    """Read ``folder/card.json``; ModelError with a plain message when it is missing or unreadable."""
    path = folder / CARD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no model card (card.json) in {folder}") from None
    except (OSError, json.JSONDecodeError) as error:
        raise ModelError(f"the model card in {folder} cannot be read ({error})") from None
    return ModelCard.from_dict(data)


def write_card(folder: Path, card: ModelCard) -> None:
    """Write ``folder/card.json`` (UTF-8, indented, keys in field order)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CARD_FILE).write_text(json.dumps(card.to_dict(), indent=2) + "\n", encoding="utf-8")
