"""DICOM Segmentation (PS3.3 A.51) of a series' lesion findings: one BINARY segment per finding. No Qt.

Each segment is the finding's pixels on every slice it spans (:meth:`LesionSlice.full_mask`: the model's mask, or
its box where the model gives none), coded as a lesion (SCT 52988006) of the category "morphologically abnormal
structure" (SCT 49755003) in the lung (SCT 39607008), with the algorithm's name (the model id) and version. The
segmentation refers only to the CT slices the findings span (its source images).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from lungview import __version__
from lungview.detection.lesions import Lesion, SeriesLesions

SEG_SERIES_NUMBER = 9902
MANUFACTURER = "LungView"
LESION_CATEGORY = codes.SCT.MorphologicallyAbnormalStructure
LESION_TYPE = codes.SCT.Lesion
LUNG = codes.SCT.Lung


class DicomFindingsError(ValueError):
    """Findings cannot be written as DICOM (sources missing, not single-frame, references that do not match)."""


@dataclass(frozen=True)
class FindingIdentity:
    """The tracking identifier and UID of one finding, shared by its SEG segment and its SR measurement group."""

    rank: int
    tracking_id: str
    tracking_uid: str


def finding_identities(lesions: SeriesLesions) -> tuple[FindingIdentity, ...]:
    """A new tracking UID for each finding of ``lesions``, in rank order."""
    return tuple(
        FindingIdentity(lesion.rank, f"LungView finding {lesion.rank}", hd.UID()) for lesion in lesions.findings
    )


def algorithm_identification(model: dict) -> hd.AlgorithmIdentificationSequence:
    """The AI model as the segmentation algorithm: its id as the name, its version, LungView as the source."""
    return hd.AlgorithmIdentificationSequence(
        name=str(model.get("id") or "unknown model"),
        family=codes.cid7162.ArtificialIntelligence,
        version=str(model.get("version") or "unknown"),
        source=f"LungView {__version__}",
    )


def device_serial(model: dict) -> str:
    """A stable serial number for the device: the first 16 hex digits of the model's SHA-256, or ``unknown``."""
    return str(model.get("sha256") or "")[:16] or "unknown"


def finding_frames(lesions: SeriesLesions) -> list[int]:
    """The slice indices the findings span, ascending: the source images of the segmentation."""
    return sorted({s.index for lesion in lesions.findings for s in lesion.slices})


def segment_masks(findings: Sequence[Lesion], frames: Sequence[int], shape: tuple[int, int]) -> np.ndarray:
    """A bool array ``(len(frames), rows, cols, len(findings))``: finding ``k``'s pixels on slice ``frames[i]``."""
    position = {index: i for i, index in enumerate(frames)}
    masks = np.zeros((len(frames), *shape, len(findings)), bool)
    for k, lesion in enumerate(findings):
        for lesion_slice in lesion.slices:
            masks[position[lesion_slice.index], :, :, k] |= lesion_slice.full_mask(shape)
    return masks


def segment_description(
    lesion: Lesion, identity: FindingIdentity, number: int, model: dict
) -> hd.seg.SegmentDescription:
    """Segment ``number`` (from 1) for ``lesion``: label, coded lesion type, the lung as region, AI algorithm."""
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=f"Finding {lesion.rank} (AI score {lesion.score:.2f})",
        segmented_property_category=LESION_CATEGORY,
        segmented_property_type=LESION_TYPE,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
        algorithm_identification=algorithm_identification(model),
        tracking_uid=identity.tracking_uid,
        tracking_id=identity.tracking_id,
        anatomic_regions=[LUNG],
    )


def check_sources(lesions: SeriesLesions, sources: Sequence[Dataset]) -> None:
    """Raise :class:`DicomFindingsError` unless every finding slice names the SOP instance of its source header."""
    for lesion in lesions.findings:
        for lesion_slice in lesion.slices:
            if not 0 <= lesion_slice.index < len(sources):
                raise DicomFindingsError(f"finding {lesion.rank} spans slice {lesion_slice.index}, not in the series")
            source = sources[lesion_slice.index]
            if str(source.get("SOPInstanceUID", "")) != lesion_slice.sop_instance_uid:
                raise DicomFindingsError(
                    f"finding {lesion.rank}: slice {lesion_slice.index} is not the image the finding names"
                )
            if int(source.get("NumberOfFrames", 1) or 1) != 1:
                raise DicomFindingsError("DICOM findings are written for single-frame CT slices only")


def build_segmentation(
    lesions: SeriesLesions, sources: Sequence[Dataset], identities: Sequence[FindingIdentity]
) -> hd.seg.Segmentation:
    """The BINARY Segmentation of the findings of ``lesions`` over the CT headers ``sources`` (series order).

    Raises
    ------
    DicomFindingsError
        When there is no finding, or the sources do not match the slices the findings name.
    """
    findings = lesions.findings
    if not findings:
        raise DicomFindingsError("no finding to segment")
    check_sources(lesions, sources)
    frames = finding_frames(lesions)
    shape = (int(sources[frames[0]].Rows), int(sources[frames[0]].Columns))
    descriptions = [
        segment_description(lesion, identity, number, lesions.model)
        for number, (lesion, identity) in enumerate(zip(findings, identities), start=1)
    ]
    model = lesions.model
    return hd.seg.Segmentation(
        source_images=[sources[index] for index in frames],
        pixel_array=segment_masks(findings, frames, shape),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=SEG_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=str(model.get("id") or "LungView"),
        software_versions=(__version__, str(model.get("version") or "unknown")),
        device_serial_number=device_serial(model),
        content_description="LungView AI lesion findings (research, not a diagnosis)",
        content_label="AI_FINDINGS",
        series_description="LungView AI findings (SEG)",
    )
