"""Symbolic links in the folders a user opens: followed to folders and files, each real path once, and whatever is
not followed listed with the reason (an archive as a NAS or a curated research share lays it out)."""

import os
import shutil

import pytest

from lungview.dicom import scan_paths
from lungview.dicom.discovery import collect_files
from lungview.triage.archive import discover


@pytest.fixture
def linked_archive(tmp_path, sample_series_dir):
    """(archive root, the real store) : two patient folders that are links, plus every awkward kind of link."""
    store = tmp_path / "store"
    files = sorted(sample_series_dir.glob("*.dcm"))
    for patient, chosen in (("a", files[:3]), ("b", files[3:6])):
        (store / patient / "ct").mkdir(parents=True)
        for path in chosen:
            shutil.copy(path, store / patient / "ct" / path.name)
    root = tmp_path / "archive"
    root.mkdir()
    (root / "patient-a").symlink_to(store / "a", target_is_directory=True)
    (root / "patient-b").symlink_to(store / "b", target_is_directory=True)
    (root / "patient-b-again").symlink_to(store / "b", target_is_directory=True)  # a second link: not a 2nd series
    (store / "a" / "ct" / "loop").symlink_to(store / "a", target_is_directory=True)  # a link loop
    (root / "gone").symlink_to(tmp_path / "nowhere")  # a broken link
    (root / "one-slice.dcm").symlink_to(store / "a" / "ct" / files[0].name)  # a file already under patient-a
    return root, store


def test_linked_patient_folders_are_searched_each_once(linked_archive):
    root, _ = linked_archive

    files, skipped = collect_files([root])

    real = [os.path.realpath(path) for path in files]
    assert len(real) == len(set(real)) == 6
    reasons = {os.path.relpath(s.path, root): s.reason for s in skipped}
    assert reasons["gone"].startswith("a broken link")
    assert reasons["patient-b-again"] == f"the same folder as {root / 'patient-b'}, already searched"
    assert reasons[os.path.join("patient-a", "ct", "loop")] == "a link loop, already searched"
    doubles = [path for path, reason in reasons.items() if reason.startswith("the same file as ")]
    assert len(doubles) == 1  # the link to a slice and the slice itself: one of them is read


def test_scan_finds_each_linked_series_once(linked_archive):
    root, _ = linked_archive

    result = scan_paths([root])

    assert sorted(len(series) for series in result.series) == [6]  # one sample series UID: one stack of 6 slices
    assert all(str(root) in series.slices[0].path for series in result.series)  # named by the path opened


def test_a_root_given_twice_by_two_links_is_searched_once(linked_archive):
    root, store = linked_archive

    files, skipped = collect_files([root / "patient-b", root / "patient-b-again", store / "b"])

    assert len(files) == 3
    assert [s.reason.split(",")[0] for s in skipped] == [f"the same folder as {root / 'patient-b'}"] * 2


def test_a_broken_link_given_directly_is_listed(tmp_path):
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")

    files, skipped = collect_files([tmp_path / "gone"])

    assert files == [] and skipped[0].reason.startswith("a broken link")


def test_triage_discovers_every_series_of_a_linked_archive_once(tmp_path, sample_series_dir):
    from lungview.bench.archive import copy_series, new_study

    store, root = tmp_path / "store", tmp_path / "archive"
    files = sorted(sample_series_dir.glob("*.dcm"))[:3]
    uids = []
    for number in range(4):
        uids.append(copy_series(files, store / f"p{number}" / "ct", new_study(f"P{number}", "A", "20240101")))
    root.mkdir()
    for number in range(4):
        (root / f"p{number}").symlink_to(store / f"p{number}", target_is_directory=True)
    (root / "p0-copy").symlink_to(store / "p0", target_is_directory=True)

    archive = discover([root, store])

    assert sorted(entry.key for entry in archive.series) == sorted(uids)
    assert all(entry.folder.startswith(str(root)) for entry in archive.series)
