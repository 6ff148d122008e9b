"""Which annotation objects belong to a series, and reading them onto it (a background job). No Qt."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pydicom

from lungview.annotations.regions import AnnotationError, AnnotationOverlay, palette_colour
from lungview.annotations.rtstruct import read_rtstruct
from lungview.annotations.seg import read_seg
from lungview.annotations.sr import read_sr
from lungview.volume import AnnotationObject, ScanResult, Series


@dataclass(frozen=True, eq=False)
class SeriesAnnotations:
    """The overlays read for one series and one sentence per object (or part of one) that was not drawn."""

    series_uid: str
    overlays: tuple[AnnotationOverlay, ...]
    problems: tuple[str, ...]

    def status_line(self) -> str:
        """One line for the status bar: what is drawn and what was skipped, or "" when there is nothing to say."""
        drawn = sum(len(overlay.regions) for overlay in self.overlays)
        parts = []
        if self.overlays:
            parts.append(f"{len(self.overlays)} annotation object(s), {drawn} region(s) drawn")
        parts += list(self.problems)
        return "; ".join(parts)


def annotations_of(series: Series, scan: ScanResult) -> tuple[AnnotationObject, ...]:
    """The SEG and RTSTRUCT objects of ``scan`` drawn on ``series``.

    An object that names ``series`` belongs to it; one that names no image series of the scan at all belongs to
    every series of its study (it is then read, and says why it cannot be drawn).
    """
    scanned = {s.series_uid for s in scan.series}
    own = []
    for annotation in scan.annotations:
        references = set(annotation.referenced_series_uids)
        if series.series_uid in references:
            own.append(annotation)
        elif not references & scanned and annotation.study_uid == series.study_uid:
            own.append(annotation)
    return tuple(own)


def annotation_series_uids(scan: ScanResult) -> set[str]:
    """Series UIDs of the scan's annotation objects (a SEG is scanned as a series too; the viewer lists it apart)."""
    return {annotation.series_uid for annotation in scan.annotations}


def series_frame_of_reference(series: Series) -> str:
    """The Frame of Reference UID of ``series`` (from its first slice), "" when absent or unreadable."""
    try:
        header = pydicom.dcmread(series.slices[0].path, stop_before_pixels=True, specific_tags=["FrameOfReferenceUID"])
    except Exception:  # a plain picture or an unreadable file has none
        return ""
    return str(header.get("FrameOfReferenceUID", "") or "")


def read_overlay(annotation: AnnotationObject, series: Series, frame_of_reference: str) -> AnnotationOverlay:
    """Read one annotation object onto ``series``.

    Raises
    ------
    AnnotationError
        When it cannot be drawn on the series (another frame of reference, no matching image, unreadable).
    """
    if annotation.series_uid == series.series_uid:
        raise AnnotationError("it is the series itself")
    if annotation.kind == "RTSTRUCT":
        if frame_of_reference and annotation.frame_of_reference_uid != frame_of_reference:
            raise AnnotationError("it is in another frame of reference than the images")
        return read_rtstruct(annotation, series)
    if annotation.kind == "SR":
        return read_sr(annotation, series, frame_of_reference)
    return read_seg(annotation, series)


def load_annotations(
    series: Series,
    annotations: Sequence[AnnotationObject],
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SeriesAnnotations:
    """Read every object of ``annotations`` onto ``series``; one plain sentence for each that cannot be drawn."""
    frame_of_reference = series_frame_of_reference(series)
    overlays, problems = [], []
    for done, annotation in enumerate(annotations, start=1):
        if cancelled is not None and cancelled():
            break
        name = f"{annotation.kind} “{annotation.label}”"
        try:
            overlay = read_overlay(annotation, series, frame_of_reference)
        except AnnotationError as error:
            problems.append(f"{name} not drawn: {error}")
        else:
            overlays.append(overlay)
            problems += [f"{name}: {note}" for note in overlay.notes]
        if progress is not None:
            progress(done, len(annotations))
    return SeriesAnnotations(series.series_uid, with_colours(overlays), tuple(problems))


def with_colours(overlays: Sequence[AnnotationOverlay]) -> tuple[AnnotationOverlay, ...]:
    """``overlays`` with a palette colour for each region that recommends none, no two alike in a row."""
    coloured, count = [], 0
    for overlay in overlays:
        regions = []
        for region in overlay.regions:
            if region.colour is None:
                region = replace(region, colour=palette_colour(count))
                count += 1
            regions.append(region)
        coloured.append(replace(overlay, regions=tuple(regions)))
    return tuple(coloured)


def image_series_only(scan: ScanResult) -> ScanResult:
    """``scan`` without the SEG series and the skipped RTSTRUCT and SR files: the viewer shows them as annotations."""
    annotation_series = annotation_series_uids(scan)
    annotation_paths = {annotation.path for annotation in scan.annotations}
    return replace(
        scan,
        series=tuple(s for s in scan.series if s.series_uid not in annotation_series),
        skipped=tuple(s for s in scan.skipped if s.path not in annotation_paths),
    )
