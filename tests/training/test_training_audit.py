"""Audit: decoded-pixel hashes, duplicate families, label conflicts, unreadable files, manifest."""

import csv
import json

import numpy as np
import pytest
from PIL import Image

from lungview.training.audit import audit_dataset, write_manifest


@pytest.fixture
def quirky_folder(tmp_path):
    """Five files: an RGBA PNG, its RGB twin, a JPEG named .png, a broken file, and a cross-class copy."""
    root = tmp_path / "data"
    for folder in ("Data/train/normal", "Data/train/adenocarcinoma_x", "Data/test/normal"):
        (root / folder).mkdir(parents=True)
    grey = np.tile(np.arange(32, dtype=np.uint8) * 7, (32, 1))
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    Image.fromarray(rgba, "RGBA").save(root / "Data/train/normal/a.png")
    Image.fromarray(np.dstack([grey] * 3)).save(root / "Data/test/normal/a copy.png")
    Image.fromarray(np.dstack([grey.T] * 3)).save(root / "Data/train/normal/jpeg.png", format="JPEG")
    (root / "Data/train/normal/broken.png").write_bytes(b"\x89PNG truncated")
    Image.fromarray(grey).save(root / "Data/train/adenocarcinoma_x/conflict.png")
    return root


def test_audit_finds_copies_conflicts_and_unreadable_files(quirky_folder, tmp_path):
    result = audit_dataset(quirky_folder, "chest-ct-4class")
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in result.records}
    assert by_name["broken.png"].error.startswith("cannot decode")
    assert by_name["jpeg.png"].content_format == "JPEG"
    assert by_name["a.png"].mode == "RGBA"
    assert by_name["a.png"].pixel_md5 == by_name["a copy.png"].pixel_md5 == by_name["conflict.png"].pixel_md5
    assert by_name["a.png"].family == by_name["a copy.png"].family
    summary = result.summary()
    assert summary["distinct_images"] == 2 and len(summary["unreadable"]) == 1
    assert len(result.label_conflicts) == 1 and len(result.label_conflicts[0]) == 3

    write_manifest(result, tmp_path / "report", {"Data/test/normal/a copy.png": "test"})
    with open(tmp_path / "report" / "manifest.csv", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 5 and {r["role"] for r in rows} == {"test", "unused"}
    assert json.loads((tmp_path / "report" / "audit.json").read_text())["files"] == 5


def test_unknown_layout_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="layout"):
        audit_dataset(tmp_path, "mnist")


@pytest.mark.shared_data
def test_chest_ct_audit_matches_source_md(shared_data):
    result = audit_dataset(shared_data / "chest-ct-4class", "chest-ct-4class")
    readable = result.readable
    assert len(result.records) == 1000 and not result.unreadable
    assert len({r.pixel_md5 for r in readable}) == 847
    train_hashes = {r.pixel_md5 for r in readable if r.split == "train"}
    assert sum(r.split == "test" and r.pixel_md5 in train_hashes for r in readable) == 46
    assert [tuple(p.rsplit("/", 1)[-1] for p in group) for group in result.label_conflicts] == [("l4.png", "sq2.png")]
