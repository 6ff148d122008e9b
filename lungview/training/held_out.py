"""Rebuild a shipped model's audit and split from its card, so evaluation and export see the training's test set."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from lungview.models.card import ModelCard
from lungview.training.audit import AuditResult, audit_dataset
from lungview.training.pipeline import DATASETS
from lungview.training.splits import DataSplit


def split_for_card(
    card: ModelCard, data_root: Path, progress: Callable[[Iterable], Iterable] = iter
) -> tuple[AuditResult, DataSplit]:
    """Audit ``data_root`` with the card's data set layout and split it the way training did."""
    layout = card.data.get("layout")
    if layout not in DATASETS:
        raise ValueError(f"model {card.id!r} does not say which data set layout it was trained on")
    audit = audit_dataset(data_root, layout, progress)
    return audit, DATASETS[layout].split(audit)
