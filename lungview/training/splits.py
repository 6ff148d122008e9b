"""Leak-free train / validation / test splits from an audit: whole duplicate families stay on one side.

Two rules, for both data sets: training never holds an image whose family (exact or listed near-duplicate)
has a member in validation or test, and every split keeps one file per exact pixel hash except the official
test split, which is reported as published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lungview.training.audit import AuditResult, ImageRecord


@dataclass(frozen=True)
class DataSplit:
    """Records per role and a sentence saying how they were made.

    ``test`` is the test split as published (copies included); ``test_dedup`` keeps one file per image and drops
    every test image whose family also occurs in the official train or validation folders.
    """

    train: tuple[ImageRecord, ...]
    valid: tuple[ImageRecord, ...]
    test: tuple[ImageRecord, ...]
    test_dedup: tuple[ImageRecord, ...]
    method: str

    def roles(self) -> dict[str, str]:
        """Relative path -> role, for the manifest (a test file also in ``test_dedup`` is marked so)."""
        roles = {r.path: "test" for r in self.test}
        roles.update({r.path: "test+test_dedup" for r in self.test_dedup})
        roles.update({r.path: "train" for r in self.train})
        roles.update({r.path: "valid" for r in self.valid})
        return roles

    def counts(self, classes: Iterable[str]) -> dict[str, dict[str, int]]:
        """Images per role and class."""
        classes = list(classes)
        return {
            role: {name: sum(r.label == name for r in getattr(self, role)) for name in classes}
            for role in ("train", "valid", "test", "test_dedup")
        }


def one_per_image(records: Iterable[ImageRecord]) -> list[ImageRecord]:
    """The first record of each exact pixel hash, order kept."""
    seen: set[str] = set()
    kept = []
    for record in records:
        if record.pixel_md5 not in seen:
            seen.add(record.pixel_md5)
            kept.append(record)
    return kept


def _conflicting_paths(audit: AuditResult) -> set[str]:
    return {path for group in audit.label_conflicts for path in group}


def official_split(audit: AuditResult) -> DataSplit:
    """Chest CT 4-class: the published train/valid/test folders with leaks and label conflicts removed."""
    readable = [r for r in audit.readable if r.path not in _conflicting_paths(audit)]
    test = [r for r in audit.readable if r.split == "test"]
    test_families = {r.family for r in test}
    valid = one_per_image(r for r in readable if r.split == "valid" and r.family not in test_families)
    held_out = test_families | {r.family for r in valid}
    train = one_per_image(r for r in readable if r.split == "train" and r.family not in held_out)
    seen_families = {r.family for r in audit.readable if r.split in ("train", "valid")}
    test_dedup = one_per_image(r for r in test if r.family not in seen_families)
    method = (
        "official train/valid/test folders; training drops every image whose duplicate family (identical pixels or "
        "a near-duplicate group of DUPLICATES.csv) has a member in valid or test, and both images of the label "
        "conflict; valid drops images whose family is in test; train and valid keep one file per image. "
        "test = the official 315 files; test_dedup = distinct test images whose family is in neither official "
        "train nor valid."
    )
    return DataSplit(tuple(train), tuple(valid), tuple(test), tuple(test_dedup), method)


def linked_groups(
    records: Sequence[ImageRecord], scan_key: Callable[[ImageRecord], Hashable]
) -> dict[Hashable, list[ImageRecord]]:
    """Records joined into groups when they share a scan key or a duplicate family (union-find), first-seen order."""
    parent: dict[Hashable, Hashable] = {}

    def find(key: Hashable) -> Hashable:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for record in records:
        parent[find(("family", record.family))] = find(scan_key(record))
    groups: dict[Hashable, list[ImageRecord]] = defaultdict(list)
    for record in records:
        groups[find(("family", record.family))].append(record)
    return groups


def group_indices(records: Sequence[ImageRecord], scan_key: Callable[[ImageRecord], Hashable]) -> np.ndarray:
    """For each record, the number of its :func:`linked_groups` group (for grouped cross-validation folds)."""
    number = {
        record.path: index for index, group in enumerate(linked_groups(records, scan_key).values()) for record in group
    }
    return np.array([number[record.path] for record in records])


def number_block(record: ImageRecord, block: int = 10) -> tuple:
    """IQ-OTH/NCCD: files ``block*k+1 .. block*(k+1)`` of a class are neighbouring slices, likely one patient."""
    return ("block", record.label, (record.number - 1) // block)


def block_split(audit: AuditResult, block: int = 10, fractions=(0.6, 0.2, 0.2), seed: int = 0) -> DataSplit:
    """IQ-OTH/NCCD (no patient ids): groups of neighbouring file numbers, whole groups per split.

    Within each class, files ``block * k + 1 .. block * (k + 1)`` form one group (neighbouring slices of a scan);
    groups joined by a duplicate family are merged. Largest groups first (ties shuffled with ``seed``), each group
    goes to the split furthest below its fraction of the class's images.
    """
    readable = [r for r in audit.readable if r.path not in _conflicting_paths(audit)]
    groups = linked_groups(readable, lambda record: number_block(record, block))
    rng = np.random.default_rng(seed)
    roles: dict[str, list[ImageRecord]] = {"train": [], "valid": [], "test": []}
    for label in sorted({r.label for r in readable}):
        class_groups = [class_group for class_group in groups.values() if class_group[0].label == label]
        shuffled = [class_groups[i] for i in rng.permutation(len(class_groups))]
        total = sum(len(g) for g in class_groups)
        dealt = dict.fromkeys(roles, 0)
        for group in sorted(shuffled, key=len, reverse=True):
            role = max(roles, key=lambda name: fractions[list(roles).index(name)] * total - dealt[name])
            roles[role].extend(group)
            dealt[role] += len(group)
    test = sorted(roles["test"], key=lambda r: r.path)
    method = (
        f"no official split; within each class, files numbered {block}k+1..{block}(k+1) form one group (neighbouring "
        "slices, likely one patient), groups sharing a duplicate family are merged, and whole groups "
        f"(largest first, ties in random order, seed {seed}) go to whichever of train/valid/test is furthest "
        f"below its share: {fractions[0]:.0%}/{fractions[1]:.0%}/{fractions[2]:.0%} of each "
        "class's images. train and valid keep one file per image; test = every file of the test groups; "
        "test_dedup = one file per image."
    )
    return DataSplit(
        tuple(one_per_image(sorted(roles["train"], key=lambda r: r.path))),
        tuple(one_per_image(sorted(roles["valid"], key=lambda r: r.path))),
        tuple(test),
        tuple(one_per_image(test)),
        method,
    )
