"""``scan_paths``: read headers only, build geometrically sorted series, and list every unusable file."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lungview.dicom.annotation_headers import read_annotation_object
from lungview.dicom.discovery import collect_files
from lungview.dicom.geometry import build_series
from lungview.dicom.headers import FrameHeader, UnusableFile, read_frame_headers
from lungview.dicom.plain_images import is_plain_image, plain_series, read_plain_size
from lungview.volume import AnnotationObject, ScanResult, SkippedFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeaderBatch:
    """The headers read from some files: DICOM frames, picture sizes, and the files that cannot be used."""

    frames: tuple[FrameHeader, ...]
    pictures: tuple[tuple[Path, tuple[int, int]], ...]
    skipped: tuple[SkippedFile, ...]
    annotations: tuple[AnnotationObject, ...] = ()


def scan_paths(
    paths: Sequence[str | Path],
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ScanResult:
    """Scan folders (recursively), DICOMDIRs, DICOM files and PNG/JPG pictures into series, reading headers only.

    ``progress(done, total)`` is called after each file; when ``cancelled()`` becomes true the scan stops and
    returns what it found so far. One bad file never stops the others: it is listed in ``skipped`` with a reason.
    """
    files, skipped = collect_files(paths)
    return assemble([read_headers(files, progress, cancelled)], skipped)


def read_headers(
    files: Sequence[Path],
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> HeaderBatch:
    """Read the headers of ``files`` in order (see :func:`scan_paths`); a part of a scan that can run anywhere."""
    frames: list[FrameHeader] = []
    pictures: list[tuple[Path, tuple[int, int]]] = []
    skipped: list[SkippedFile] = []
    annotations: list[AnnotationObject] = []
    for done, path in enumerate(files, start=1):
        if cancelled is not None and cancelled():
            break
        try:
            if is_plain_image(path):
                pictures.append((path, read_plain_size(path)))
            else:
                found = read_frame_headers(path)
                frames.extend(found)
                if found and found[0].modality == "SEG":
                    annotations.extend(_annotation(path))
        except (UnusableFile, ValueError) as problem:
            reason = getattr(problem, "reason", str(problem))
            skipped.append(SkippedFile(str(path), reason))
            if reason != "not a DICOM file":  # an RTSTRUCT (no pixels) or a broken SEG still annotates its series
                annotations.extend(_annotation(path))
        except OSError as error:
            skipped.append(
                SkippedFile(str(path), f"the file cannot be read ({error.strerror or type(error).__name__})")
            )
        except Exception as error:  # pydicom raises many types on corrupt headers; one file never stops the rest
            log.debug("unreadable header in %s", path, exc_info=True)
            reason = f"the file is corrupt: its header cannot be read ({type(error).__name__})"
            skipped.append(SkippedFile(str(path), reason))
        if progress is not None:
            progress(done, len(files))
    return HeaderBatch(tuple(frames), tuple(pictures), tuple(skipped), tuple(annotations))


def _annotation(path: Path) -> list[AnnotationObject]:
    found = read_annotation_object(path)
    return [found] if found is not None else []


def assemble(batches: Sequence[HeaderBatch], skipped: Sequence[SkippedFile] = ()) -> ScanResult:
    """The series of the headers in ``batches`` (in file order), and every file that cannot be used.

    ``skipped`` holds the paths that were not even files (from :func:`~lungview.dicom.discovery.collect_files`).
    """
    frames = [frame for batch in batches for frame in batch.frames]
    pictures = [picture for batch in batches for picture in batch.pictures]
    unusable = [*skipped, *(file for batch in batches for file in batch.skipped)]
    series, duplicates = build_series(frames)
    annotations = tuple(annotation for batch in batches for annotation in batch.annotations)
    return ScanResult(
        series=tuple(series + plain_series(pictures)), skipped=tuple(unusable + duplicates), annotations=annotations
    )
