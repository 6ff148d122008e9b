"""Find the files to scan under the paths a user opened: folders (recursively), DICOMDIRs and single files."""

import os
from collections.abc import Sequence
from pathlib import Path

from lungview.dicom.headers import MEDIA_STORAGE_DIRECTORY
from lungview.volume import SkippedFile


def collect_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[SkippedFile]]:
    """Every candidate file under ``paths``, each once, in a stable order, plus paths that could not be opened.

    Folders are searched recursively (hidden files and folders are ignored); a file named DICOMDIR given
    directly (recognised by its file meta) is replaced by the files its records list.
    """
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _walk(path)
            if not found:
                skipped.append(SkippedFile(str(path), "the folder holds no files (hidden files are ignored)"))
            files.extend(found)
        elif path.is_file() and is_dicomdir(path):
            referenced, problems = dicomdir_files(path)
            files.extend(referenced)
            skipped.extend(problems)
        elif path.is_file():
            files.append(path)
        else:
            skipped.append(SkippedFile(str(path), "no such file or folder"))
    return _unique(files), skipped


def is_dicomdir(path: Path) -> bool:
    """True when the file meta of ``path`` says Media Storage Directory (a DICOMDIR), whatever its name."""
    from pydicom.filereader import read_file_meta_info

    try:
        return read_file_meta_info(path).get("MediaStorageSOPClassUID") == MEDIA_STORAGE_DIRECTORY
    except Exception:  # not DICOM, or no readable file meta: not a DICOMDIR
        return False


def dicomdir_files(dicomdir: Path) -> tuple[list[Path], list[SkippedFile]]:
    """Files named by the records of ``dicomdir`` (Referenced File ID, PS3.10 8.5); its folder when unreadable."""
    from pydicom import dcmread

    try:
        records = dcmread(dicomdir).DirectoryRecordSequence
        file_ids = [record.get("ReferencedFileID") for record in records]
    except Exception as error:  # a broken index must not stop the images it points to
        note = SkippedFile(
            str(dicomdir), f"the DICOMDIR cannot be read ({type(error).__name__}); its folder was searched instead"
        )
        return [p for p in _walk(dicomdir.parent) if p != dicomdir], [note]
    files, missing = [], []
    for file_id in file_ids:
        if not file_id:
            continue  # patient, study and series records name no file
        parts = [file_id] if isinstance(file_id, str) else list(file_id)
        path = dicomdir.parent.joinpath(*parts)
        if path.is_file():
            files.append(path)
        else:
            missing.append(SkippedFile(str(path), "listed in the DICOMDIR but missing from the disc or folder"))
    if not files and not missing:
        return [], [SkippedFile(str(dicomdir), "the DICOMDIR lists no images")]
    return files, missing


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / name for name in sorted(names) if not name.startswith("."))
    return found


def _unique(files: list[Path]) -> list[Path]:
    seen, unique = set(), []
    for path in files:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique
