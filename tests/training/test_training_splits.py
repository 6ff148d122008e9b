"""Splits keep whole duplicate families on one side and never train on a copy of an evaluation image."""

from lungview.training.audit import AuditResult, ImageRecord, link_families
from lungview.training.splits import block_split, official_split


def _record(path, label, split, md5, number=0):
    return ImageRecord(path=path, label=label, split=split, number=number, pixel_md5=md5)


def test_official_split_drops_leaks_and_conflicts(tmp_path):
    records = [
        _record("train/n/1.png", "normal", "train", "A"),
        _record("train/n/1 - Copy.png", "normal", "train", "A"),
        _record("train/n/2.png", "normal", "train", "B"),
        _record("train/n/3.png", "normal", "train", "N1"),
        _record("train/a/x.png", "adenocarcinoma", "train", "C"),
        _record("train/s/x.png", "squamous.cell.carcinoma", "train", "C"),
        _record("valid/n/9.png", "normal", "valid", "D"),
        _record("test/n/1.png", "normal", "test", "A"),
        _record("test/n/1b.png", "normal", "test", "A"),
        _record("test/n/5.png", "normal", "test", "E"),
        _record("test/n/6.png", "normal", "test", "N2"),
    ]
    linked = link_families(records, [["train/n/3.png", "test/n/6.png"]])  # a listed near-duplicate pair
    audit = AuditResult(tmp_path, tuple(linked), (("train/a/x.png", "train/s/x.png"),))
    split = official_split(audit)
    assert [r.path for r in split.train] == ["train/n/2.png"]
    assert [r.path for r in split.valid] == ["valid/n/9.png"]
    assert len(split.test) == 4
    assert [r.path for r in split.test_dedup] == ["test/n/5.png"]
    assert split.roles()["test/n/5.png"] == "test+test_dedup"


def test_block_split_keeps_neighbours_and_duplicates_together(tmp_path):
    records = [
        _record(f"{label}/{n}.jpg", label, "", f"{label}{n}", number=n)
        for label in ("benign", "malignant")
        for n in range(1, 101)
    ]
    records.append(_record("benign/copy.jpg", "benign", "", "benign5", number=95))  # copy of (5) far away
    audit = AuditResult(tmp_path, tuple(link_families(records, [])), ())
    split = block_split(audit, block=10, seed=3)
    role_of = {r.path: role for role in ("train", "valid", "test") for r in getattr(split, role)}
    for label in ("benign", "malignant"):
        for block in range(10):
            roles = {
                role_of[f"{label}/{n}.jpg"]
                for n in range(block * 10 + 1, block * 10 + 11)
                if f"{label}/{n}.jpg" in role_of
            }
            assert len(roles) == 1
    assert role_of["benign/5.jpg"] == role_of["benign/95.jpg"]
    counts = split.counts(["benign", "malignant"])
    assert counts["train"]["malignant"] == 60 and counts["test"]["malignant"] == 20


def test_group_indices_join_a_scans_slices_and_duplicate_families():
    from lungview.training.audit import ImageRecord
    from lungview.training.splits import group_indices

    records = [
        ImageRecord("a/000005 (3).png", "a", "train", 5, family=1),
        ImageRecord("a/000005 (9).png", "a", "train", 5, family=2),
        ImageRecord("a/000007 (1).png", "a", "train", 7, family=2),  # near-duplicate of a slice of scan 5
        ImageRecord("a/000008 (1).png", "a", "train", 8, family=3),
        ImageRecord("b/000008 (1).png", "b", "train", 8, family=4),  # same number, other class: another scan
    ]
    groups = group_indices(records, lambda r: ("scan", r.label, r.number))
    assert groups[0] == groups[1] == groups[2]
    assert len({groups[0], groups[3], groups[4]}) == 3
