"""Find every series under an archive's roots (headers only) and group them into studies.

A series whose files were all unusable still appears, so that every series of the archive is accounted for once.
No Qt, no torch.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lungview.dicom.discovery import collect_files
from lungview.dicom.scan import assemble, read_headers
from lungview.volume import Series, SkippedFile

#: Files whose headers one task reads when the workers discover an archive (about a second of work each).
FILES_PER_TASK = 500

#: The header elements a worklist row needs beyond :class:`~lungview.volume.Series`.
_IDENTITY_TAGS = [
    "PatientID",
    "AccessionNumber",
    "StudyDate",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SeriesDescription",
    "Modality",
]


@dataclass(frozen=True)
class StudyFields:
    """Study-level header fields of a series (clinical: stored in the worklist, never logged)."""

    patient_id: str = ""
    accession_number: str = ""
    study_date: str = ""


@dataclass(frozen=True)
class ArchiveSeries:
    """One series of the archive, usable or not, with the identity the worklist stores."""

    key: str
    """Stable identity in the worklist: the series UID, with the stack number where one UID holds several stacks."""
    study_uid: str
    series_uid: str
    modality: str
    description: str
    folder: str
    """The deepest folder holding all of the series' files (what the viewer opens)."""
    slice_count: int
    fields: StudyFields
    series: Series | None
    """The sorted series; None when none of its files could be used."""
    problem: str = ""
    """Why none of the files could be used (only where ``series`` is None)."""
    fingerprint: Fingerprint | None = None
    """The files as discovery found them (a rerun compares it with what the worklist row analysed)."""


@dataclass(frozen=True)
class Fingerprint:
    """A series' files as found: how many, their total size and the newest modification time."""

    file_count: int
    total_bytes: int
    newest_mtime: float


def fingerprint(paths) -> Fingerprint:
    """The :class:`Fingerprint` of the files ``paths`` (each counted once; a file gone since counts as empty)."""
    count, total, newest = 0, 0, 0.0
    for path in sorted(set(paths)):
        count += 1
        try:
            stat = os.stat(path)
        except OSError:
            continue
        total += stat.st_size
        newest = max(newest, stat.st_mtime)
    return Fingerprint(count, total, newest)


@dataclass(frozen=True)
class Study:
    """The series of one study."""

    study_uid: str
    series: tuple[ArchiveSeries, ...]


@dataclass(frozen=True)
class Archive:
    """Every series found under the roots, grouped into studies, and the files that belong to no series."""

    studies: tuple[Study, ...]
    unusable_files: tuple[SkippedFile, ...] = field(default=())

    @property
    def series(self) -> tuple[ArchiveSeries, ...]:
        """Every series, study by study."""
        return tuple(entry for study in self.studies for entry in study.series)


def discover(roots: Sequence[str | Path], client=None, files_per_task: int = FILES_PER_TASK) -> Archive:
    """Scan ``roots`` (folders, DICOMDIRs, files) into an :class:`Archive`, reading headers only.

    With a ``distributed.Client``, the workers read the headers, ``files_per_task`` files a task; the series
    are the same as when this process reads them all.
    """
    files, skipped = collect_files(roots)
    if client is None or len(files) <= files_per_task:
        batches = [read_headers(files)]
    else:
        chunks = [files[start : start + files_per_task] for start in range(0, len(files), files_per_task)]
        batches = client.gather(client.map(read_headers, chunks, pure=False))
    scan = assemble(batches, skipped)
    entries = _usable_entries(scan.series)
    unreadable, unusable_files = _unreadable_entries(scan.skipped, {entry.series_uid for entry in entries})
    return Archive(group_studies(entries + unreadable), tuple(unusable_files))


def group_studies(entries: Sequence[ArchiveSeries]) -> tuple[Study, ...]:
    """Group ``entries`` by study UID, keeping the order in which studies and series first appear."""
    by_study: dict[str, list[ArchiveSeries]] = defaultdict(list)
    for entry in entries:
        by_study[entry.study_uid].append(entry)
    return tuple(Study(uid, tuple(members)) for uid, members in by_study.items())


def read_identity(path: str | Path) -> dict[str, str]:
    """The identity elements of one file's header (empty strings where missing or unreadable)."""
    from pydicom import dcmread

    try:
        ds = dcmread(path, stop_before_pixels=True, force=True, specific_tags=_IDENTITY_TAGS)
    except Exception:  # noqa: BLE001 - not DICOM or corrupt: the file has no identity to report
        return dict.fromkeys(_IDENTITY_TAGS, "")
    return {keyword: str(ds.get(keyword, "") or "").strip() for keyword in _IDENTITY_TAGS}


def study_fields(identity: dict[str, str]) -> StudyFields:
    """The :class:`StudyFields` of an identity read by :func:`read_identity`."""
    return StudyFields(identity["PatientID"], identity["AccessionNumber"], identity["StudyDate"])


def _usable_entries(series: Sequence[Series]) -> list[ArchiveSeries]:
    """One entry per scanned series, keyed by :attr:`~lungview.volume.Series.key` (UID and stack number)."""
    seen: Counter[str] = Counter()
    entries = []
    for one in series:
        key = one.key if one.series_uid else f"file:{one.slices[0].path}"
        seen[key] += 1
        if seen[key] > 1:  # one series UID in two studies: still two rows
            key = f"{key}@{seen[key]}"
        identity = read_identity(one.slices[0].path) if one.series_uid else dict.fromkeys(_IDENTITY_TAGS, "")
        entries.append(
            ArchiveSeries(
                key=key,
                study_uid=one.study_uid,
                series_uid=one.series_uid,
                modality=one.modality,
                description=one.description,
                folder=_common_folder(ref.path for ref in one.slices),
                slice_count=len(one),
                fields=study_fields(identity),
                series=one,
                fingerprint=fingerprint(ref.path for ref in one.slices),
            )
        )
    return entries


def _unreadable_entries(
    skipped: Sequence[SkippedFile], usable_uids: set[str]
) -> tuple[list[ArchiveSeries], list[SkippedFile]]:
    """Series none of whose files could be used (from the skipped files' headers), and the files of no series."""
    by_series: dict[str, list[tuple[SkippedFile, dict[str, str]]]] = defaultdict(list)
    loose = []
    for file in skipped:
        identity = read_identity(file.path) if os.path.isfile(file.path) else {}
        uid = identity.get("SeriesInstanceUID", "")
        if uid and uid not in usable_uids:
            by_series[uid].append((file, identity))
        else:
            loose.append(file)
    entries = []
    for uid, files in by_series.items():
        first_file, identity = files[0]
        entries.append(
            ArchiveSeries(
                key=uid,
                study_uid=identity["StudyInstanceUID"],
                series_uid=uid,
                modality=identity["Modality"],
                description=identity["SeriesDescription"],
                folder=_common_folder(file.path for file, _ in files),
                slice_count=0,
                fields=study_fields(identity),
                series=None,
                problem=f"{first_file.reason} ({len(files)} file(s))",
                fingerprint=fingerprint(file.path for file, _ in files),
            )
        )
    return entries, loose


def _common_folder(paths) -> str:
    """The deepest folder that holds every one of ``paths``."""
    return os.path.commonpath([os.path.dirname(os.path.abspath(path)) for path in paths])
