"""Data audit: every image decoded and hashed, exact and listed near-duplicates merged, label conflicts flagged.

A *family* is a set of files linked by identical decoded pixels or by a near-duplicate group in the data set's
``DUPLICATES.csv``; splits keep whole families on one side. Files that cannot be decoded are listed with the
reason and left out; they never stop a run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


@dataclass(frozen=True)
class ImageRecord:
    """One file of a data set as the audit saw it; ``error`` is empty when it decoded."""

    path: str
    label: str
    split: str
    number: int
    pixel_md5: str = ""
    width: int = 0
    height: int = 0
    mode: str = ""
    content_format: str = ""
    family: int = -1
    error: str = ""


@dataclass(frozen=True)
class AuditResult:
    """All records, the label conflicts (families with more than one label) and the unreadable files."""

    root: Path
    records: tuple[ImageRecord, ...]
    label_conflicts: tuple[tuple[str, ...], ...]

    @property
    def readable(self) -> list[ImageRecord]:
        return [record for record in self.records if not record.error]

    @property
    def unreadable(self) -> list[ImageRecord]:
        return [record for record in self.records if record.error]

    def summary(self) -> dict:
        """Counts for the report and the model card."""
        readable = self.readable
        return {
            "files": len(self.records),
            "unreadable": [{"path": r.path, "reason": r.error} for r in self.unreadable],
            "distinct_images": len({r.pixel_md5 for r in readable}),
            "families": len({r.family for r in readable}),
            "label_conflicts": [list(paths) for paths in self.label_conflicts],
            "modes": _count(r.mode for r in readable),
            "content_formats": _count(r.content_format for r in readable),
            "files_per_split_and_label": _count(f"{r.split}/{r.label}" for r in readable),
        }


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return dict(sorted(counts.items()))


def _chest_ct_labels(relative: Path) -> tuple[str, str] | None:
    """``Data/<split>/<class>_<details>/file`` -> (label, split); the label is the folder name up to the first "_"."""
    parts = relative.parts
    if len(parts) < 3:
        return None
    return parts[-2].split("_")[0], parts[-3]


_IQOTH_FOLDERS = {
    "bengin cases": "benign",
    "benign cases": "benign",
    "malignant cases": "malignant",
    "normal cases": "normal",
}


def _iqothnccd_labels(relative: Path) -> tuple[str, str] | None:
    """``<Class> cases/<Class> case (N).jpg`` -> (label, ""): no official split."""
    label = _IQOTH_FOLDERS.get(relative.parent.name.lower())
    return None if label is None else (label, "")


#: Data set layout name -> function from a file's path (relative to the root) to (label, official split).
LAYOUTS: dict[str, Callable[[Path], tuple[str, str] | None]] = {
    "chest-ct-4class": _chest_ct_labels,
    "iqothnccd": _iqothnccd_labels,
}


def _file_number(name: str) -> int:
    """The first integer in a file name (``Malignant case (17).jpg`` -> 17), -1 when there is none."""
    match = re.search(r"\d+", name)
    return int(match.group()) if match else -1


def inspect_file(path: Path) -> dict:
    """Decode one file by content: pixel MD5 (of the RGB pixels and shape), size, mode and real format."""
    try:
        with Image.open(path) as image:
            content_format = image.format or ""
            mode = image.mode
            pixels = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as error:
        return {"error": f"cannot decode: {error}"}
    digest = hashlib.md5(pixels.tobytes() + str(pixels.shape).encode()).hexdigest()
    return {
        "pixel_md5": digest,
        "width": pixels.shape[1],
        "height": pixels.shape[0],
        "mode": mode,
        "content_format": content_format,
    }


def read_near_duplicate_groups(csv_path: Path) -> list[list[str]]:
    """Groups of relative paths from a ``DUPLICATES.csv`` (columns ``group,match,file,...``); [] when absent."""
    if not csv_path.is_file():
        return []
    groups: dict[str, list[str]] = defaultdict(list)
    with open(csv_path, newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            groups[row["group"]].append(row["file"])
    return list(groups.values())


class _UnionFind:
    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def link_families(records: list[ImageRecord], links: Iterable[Iterable[str]]) -> list[ImageRecord]:
    """Give every readable record a family id: files linked by equal pixels or by any group in ``links``."""
    index = {record.path: i for i, record in enumerate(records)}
    union = _UnionFind(len(records))
    by_md5: dict[str, int] = {}
    for i, record in enumerate(records):
        if record.error:
            continue
        first = by_md5.setdefault(record.pixel_md5, i)
        union.union(i, first)
    for group in links:
        members = [index[path] for path in group if path in index and not records[index[path]].error]
        for member in members[1:]:
            union.union(member, members[0])
    roots: dict[int, int] = {}
    linked = []
    for i, record in enumerate(records):
        family = -1 if record.error else roots.setdefault(union.find(i), len(roots))
        linked.append(replace(record, family=family))
    return linked


def audit_dataset(root: Path, layout: str, progress: Callable[[Iterable], Iterable] = iter) -> AuditResult:
    """Decode and hash every image under ``root`` (laid out as ``layout``) and link duplicate families.

    ``progress`` wraps the file list (e.g. ``tqdm``); near-duplicate groups come from ``root/DUPLICATES.csv``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown data set layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    labeller = LAYOUTS[layout]
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    records = []
    for path in progress(files):
        relative = path.relative_to(root)
        labels = labeller(relative)
        if labels is None:
            continue
        label, split = labels
        records.append(
            ImageRecord(
                path=relative.as_posix(), label=label, split=split, number=_file_number(path.name), **inspect_file(path)
            )
        )
    records = link_families(records, read_near_duplicate_groups(root / "DUPLICATES.csv"))
    conflicts = _label_conflicts(records)
    return AuditResult(root=root, records=tuple(records), label_conflicts=conflicts)


def _label_conflicts(records: list[ImageRecord]) -> tuple[tuple[str, ...], ...]:
    """Files with identical pixels but different labels, grouped."""
    by_md5: dict[str, list[ImageRecord]] = defaultdict(list)
    for record in records:
        if not record.error:
            by_md5[record.pixel_md5].append(record)
    return tuple(
        tuple(sorted(r.path for r in group)) for group in by_md5.values() if len({r.label for r in group}) > 1
    )


def write_manifest(result: AuditResult, folder: Path, roles: dict[str, str] | None = None) -> None:
    """Write ``manifest.csv`` (one row per file, with its role in training when given) and ``audit.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    roles = roles or {}
    columns = [*asdict(result.records[0]).keys(), "role"] if result.records else ["path", "role"]
    with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        for record in result.records:
            writer.writerow({**asdict(record), "role": roles.get(record.path, "unused")})
    (folder / "audit.json").write_text(json.dumps(result.summary(), indent=2) + "\n", encoding="utf-8")
