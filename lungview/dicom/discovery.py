"""Find the files to scan under the paths a user opened: folders (recursively), DICOMDIRs and single files."""

import os
from collections.abc import Sequence
from pathlib import Path

from lungview.dicom.headers import MEDIA_STORAGE_DIRECTORY
from lungview.volume import SkippedFile


def collect_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[SkippedFile]]:
    """Every candidate file under ``paths``, each once, in a stable order, plus paths that could not be used.

    Folders are searched recursively (hidden files and folders are ignored), following symbolic links to folders
    and files: each real folder is searched once and each real file read once, so a link loop or a second link to
    the same folder adds nothing. What is not followed (a broken link, a folder already searched, a second link to
    a file, something that is not a regular file, an unreadable folder) is listed with the reason. A file named
    DICOMDIR given directly (recognised by its file meta) is replaced by the files its records list.
    """
    files: list[Path] = []
    skipped: list[SkippedFile] = []
    searched: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            repeated = os.path.realpath(path) in searched
            found = _walk(path, skipped, searched)
            if not found and not repeated:
                skipped.append(SkippedFile(str(path), "the folder holds no files (hidden files are ignored)"))
            files.extend(found)
        elif path.is_file() and is_dicomdir(path):
            referenced, problems = dicomdir_files(path)
            files.extend(referenced)
            skipped.extend(problems)
        elif path.is_file():
            files.append(path)
        elif path.is_symlink():
            skipped.append(SkippedFile(str(path), _BROKEN_LINK))
        else:
            skipped.append(SkippedFile(str(path), "no such file or folder"))
    unique, doubles = _unique(files)
    return unique, skipped + doubles


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


_BROKEN_LINK = "a broken link: what it points to does not exist"


def _walk(
    folder: Path, skipped: list[SkippedFile] | None = None, searched: dict[str, str] | None = None
) -> list[Path]:
    """The files under ``folder``, following links; each real folder once (``searched``: real path -> first path).

    What is not followed goes to ``skipped`` with the reason.
    """
    skipped = [] if skipped is None else skipped
    searched = {} if searched is None else searched
    real = os.path.realpath(folder)
    if real in searched:
        skipped.append(SkippedFile(str(folder), f"the same folder as {searched[real]}, already searched"))
        return []
    searched[real] = str(folder)

    def unreadable(error: OSError) -> None:
        reason = f"the folder cannot be read ({error.strerror or type(error).__name__})"
        skipped.append(SkippedFile(str(error.filename or folder), reason))

    found = []
    for root, dirs, names in os.walk(folder, onerror=unreadable, followlinks=True):
        kept = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            path = os.path.join(root, name)
            real = os.path.realpath(path)
            if real in searched:
                why = "a link loop" if _is_within(searched[real], path) else f"the same folder as {searched[real]}"
                skipped.append(SkippedFile(path, f"{why}, already searched"))
                continue
            searched[real] = path
            kept.append(name)
        dirs[:] = kept
        for name in sorted(n for n in names if not n.startswith(".")):
            path = Path(root) / name
            if path.is_file():
                found.append(path)
            elif path.is_symlink() and not path.exists():
                skipped.append(SkippedFile(str(path), _BROKEN_LINK))
            else:
                skipped.append(SkippedFile(str(path), "not a regular file (a device, pipe or socket)"))
    return found


def _is_within(folder: str, path: str) -> bool:
    """True when ``path`` lies inside ``folder`` (by the paths as written, not resolved)."""
    folder, path = os.path.abspath(folder), os.path.abspath(path)
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _unique(files: list[Path]) -> tuple[list[Path], list[SkippedFile]]:
    """Each real file once (the first path naming it), and the other paths to a file already found."""
    seen: dict[str, Path] = {}
    unique, doubles = [], []
    for path in files:
        key = os.path.normcase(os.path.realpath(path))
        if key in seen:
            if os.path.abspath(seen[key]) != os.path.abspath(path):
                doubles.append(SkippedFile(str(path), f"the same file as {seen[key]}, read once"))
            continue
        seen[key] = path
        unique.append(path)
    return unique, doubles
