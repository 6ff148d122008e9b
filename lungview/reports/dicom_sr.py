"""TID 1500 Measurement Report (Comprehensive 3D SR) of a series' lesion findings. No Qt.

Observer: the device (LungView, the model id, its version). Per finding a volumetric measurement group
(TID 1411) with the finding's tracking identifier and UID (the same as its SEG segment's), finding type lesion,
finding site lung (its upper, middle or lower zone where the model gives one) with laterality (from the patient
coordinates of its centre), the measurements the model gives
(long and short axis in mm, volume in mL, mean HU, AI score; a measurement the model leaves None is left out), and
references to its SEG segment and the CT slices it spans. A series without a finding gets a report with one
measurement group whose qualitative evaluation is "no abnormality detected", and no segment reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from lungview import __version__
from lungview.detection.lesions import Lesion, SeriesLesions
from lungview.reports.dicom_seg import (
    LESION_TYPE,
    LUNG,
    MANUFACTURER,
    FindingIdentity,
    device_serial,
)

SR_SERIES_NUMBER = 9903
MILLIMETRE = Code("mm", "UCUM", "millimeter")
MILLILITRE = Code("ml", "UCUM", "milliliter")
HOUNSFIELD_UNIT = Code("[hnsf'U]", "UCUM", "Hounsfield unit")
NO_UNITS = Code("1", "UCUM", "no units")
AI_SCORE = codes.DCM.Probability
"""The calibrated score the model gives a finding (a probability that it is a tumour)."""
NO_ABNORMALITY = Code("281900007", "SCT", "No abnormality detected")
_SIDES = {"right": codes.SCT.Right, "left": codes.SCT.Left}
#: Zones of lung (SCT, CID 6126 "Lung Anatomic Sites"): the third of the lung's cranio-caudal extent.
_ZONES = {"upper": codes.SCT.UpperZoneOfLung, "middle": codes.SCT.MiddleZoneOfLung, "lower": codes.SCT.LowerZoneOfLung}


def observer_context(model: dict) -> hd.sr.ObservationContext:
    """The device observer: LungView, running the model ``model`` (``{"id", "version", "sha256"}``)."""
    device = hd.sr.DeviceObserverIdentifyingAttributes(
        uid=hd.UID(),
        name=f"LungView {model.get('id') or ''}".strip(),
        manufacturer_name=MANUFACTURER,
        model_name=str(model.get("id") or "LungView"),
        serial_number=device_serial(model),
    )
    return hd.sr.ObservationContext(
        observer_device_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Device, observer_identifying_attributes=device
        )
    )


def finding_site(lesion: Lesion) -> hd.sr.FindingSite:
    """The lung zone where known (else the lung), with the patient's side where known."""
    return hd.sr.FindingSite(
        anatomic_location=_ZONES.get(lesion.zone or "", LUNG), laterality=_SIDES.get(lesion.side or "")
    )


def measurements(lesion: Lesion, model: dict) -> list[hd.sr.Measurement]:
    """The finding's long and short axis, volume, mean HU and AI score; a value the model leaves None is left out."""
    algorithm = hd.sr.AlgorithmIdentification(
        name=str(model.get("id") or "unknown model"), version=str(model.get("version") or "unknown")
    )
    values = [
        (codes.SCT.LongAxis, lesion.long_axis_mm, MILLIMETRE, None),
        (codes.SCT.ShortAxis, lesion.short_axis_mm, MILLIMETRE, None),
        (codes.SCT.Volume, lesion.volume_ml, MILLILITRE, None),
        (codes.DCM.AttenuationCoefficient, lesion.mean_hu, HOUNSFIELD_UNIT, codes.SCT.Mean),
        (AI_SCORE, lesion.score, NO_UNITS, None),
    ]
    return [
        hd.sr.Measurement(name=name, value=float(value), unit=unit, derivation=derivation, algorithm_id=algorithm)
        for name, value, unit, derivation in values
        if value is not None
    ]


def _source_image(source: Dataset) -> hd.sr.SourceImageForSegmentation:
    return hd.sr.SourceImageForSegmentation(source.SOPClassUID, source.SOPInstanceUID)


def finding_group(
    lesion: Lesion,
    identity: FindingIdentity,
    segment_number: int,
    segmentation: Dataset,
    sources: Sequence[Dataset],
    model: dict,
) -> hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations:
    """The measurement group of one finding, referring to its segment and the CT slices it spans."""
    segment = hd.sr.ReferencedSegment(
        sop_class_uid=segmentation.SOPClassUID,
        sop_instance_uid=segmentation.SOPInstanceUID,
        segment_number=segment_number,
        source_images=[_source_image(sources[s.index]) for s in lesion.slices],
    )
    return hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=identity.tracking_uid, identifier=identity.tracking_id),
        referenced_segment=segment,
        finding_type=LESION_TYPE,
        algorithm_id=hd.sr.AlgorithmIdentification(
            name=str(model.get("id") or "unknown model"), version=str(model.get("version") or "unknown")
        ),
        finding_sites=[finding_site(lesion)],
        measurements=measurements(lesion, model),
    )


def no_finding_group() -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """The group of a series where the model found nothing: finding "no abnormality detected"."""
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="LungView: no finding"),
        finding_type=NO_ABNORMALITY,
        finding_sites=[hd.sr.FindingSite(anatomic_location=LUNG)],
    )


def build_measurement_report(
    lesions: SeriesLesions,
    sources: Sequence[Dataset],
    segmentation: Dataset | None,
    identities: Sequence[FindingIdentity],
) -> hd.sr.Comprehensive3DSR:
    """The Comprehensive 3D SR of ``lesions`` over the CT headers ``sources`` and their ``segmentation`` (or None).

    ``segmentation`` must be given when there are findings; its segment ``k`` holds finding ``k`` (from 1).
    """
    findings = lesions.findings
    if findings and segmentation is None:
        raise ValueError("findings need their segmentation to refer to")
    groups: list = [
        finding_group(lesion, identity, number, segmentation, sources, lesions.model)
        for number, (lesion, identity) in enumerate(zip(findings, identities), start=1)
    ] or [no_finding_group()]
    spanned = sorted({s.index for lesion in findings for s in lesion.slices}) or [len(sources) // 2]
    evidence = [sources[index] for index in spanned] + ([segmentation] if segmentation is not None else [])
    report = hd.sr.MeasurementReport(
        observation_context=observer_context(lesions.model),
        procedure_reported=codes.cid100.CTUnspecifiedBodyRegion,
        imaging_measurements=groups,
    )
    model = lesions.model
    return hd.sr.Comprehensive3DSR(
        evidence=evidence,
        content=report,
        series_instance_uid=hd.UID(),
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        is_final=False,
        is_verified=False,
        series_description="LungView AI findings (SR)",
        institution_name=None,
        software_versions=(__version__, str(model.get("version") or "unknown")),
    )
