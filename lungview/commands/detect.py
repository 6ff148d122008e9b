"""``lungview detect PATH [PATH ...] [--json] [--model ID]``: ranked lesion findings per CT series.

A public interface (docs/commands.md): the JSON keys stay stable. Boxes are ``[row0, col0, row1, col1]`` in pixels
of the original slice, inclusive; slice indices count from 0 in each geometrically sorted series.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lungview.commands.output import answer, print_json

HELP = "find lesions in DICOM CT series: ranked 3-D findings with a box on every slice they span (JSON or a table)"


class DetectInputError(ValueError):
    """Bad input to ``lungview detect``: the message says what to change."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM folders, DICOMDIRs or files")
    parser.add_argument("--model", metavar="ID", help="lesion-finding model id (default: ct-lesion-seg)")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout (default: a short table)")
    parser.add_argument("--weights-dir", type=Path, metavar="DIR", help="models folder (default: the shipped weights/)")
    parser.add_argument(
        "--dicom-out", type=Path, metavar="DIR",
        help="also write per series <series_uid>_seg.dcm (DICOM Segmentation, when there are findings) and "
        "<series_uid>_sr.dcm (TID 1500 Measurement Report) into DIR",
    )


def lesion_json(lesion) -> dict:
    """One finding as the stable JSON record."""
    return {
        "rank": lesion.rank,
        "score": round(lesion.score, 4),
        "centre": {
            "index": lesion.centre_index,
            "row": lesion.centre_row,
            "col": lesion.centre_col,
            "xyz_mm": list(lesion.centre_xyz_mm) if lesion.centre_xyz_mm is not None else None,
        },
        "slices": [
            {
                "index": s.index,
                "instance_number": s.instance_number,
                "sop_instance_uid": s.sop_instance_uid,
                "box": list(s.box),
            }
            for s in lesion.slices
        ],
        "long_axis_mm": lesion.long_axis_mm,
        "short_axis_mm": lesion.short_axis_mm,
        "volume_ml": lesion.volume_ml,
        "mean_hu": lesion.mean_hu,
        "attenuation": lesion.attenuation,
        "side": lesion.side,
        "zone": lesion.zone,
    }


def _identity(series) -> dict:
    """The series' identity beyond its UID: the key that tells the stacks of one UID apart, and the stack number."""
    return {"series_key": series.key, "stack": series.stack}


def detect(args: argparse.Namespace) -> dict:
    """Scan the paths and find lesions in every CT series; the JSON-ready document."""
    from lungview.dicom import SliceStore, scan_paths
    from lungview.inference.classifier import load_classifier
    from lungview.inference.model_choice import LESION_MODEL, skip_reason
    from lungview.inference.series_analysis import find_lesions, finds_lesions, series_folder
    from lungview.models import ModelError

    scan = scan_paths(args.paths)
    skipped = [{"path": s.path, "reason": s.reason} for s in scan.skipped]
    try:
        classifier = load_classifier(args.model or LESION_MODEL, args.weights_dir, reuse_export=True)
    except ModelError as error:
        raise DetectInputError(str(error)) from None
    if not classifier.card.lesion_finder:
        raise DetectInputError(f"model {classifier.card.id!r} does not find lesions; use ct-lesion-seg")
    card = classifier.card
    model = {**card.identity(), "threshold": card.threshold}
    documents = []
    for series in scan.series:
        reason = skip_reason(series) or (
            None if finds_lesions(classifier, series) else "not a CT series in Hounsfield units"
        )
        if reason is None and len(series) < 2:
            reason = "a single slice: findings need neighbouring slices"
        lesions = None
        if not reason:
            store = SliceStore(series, max_bytes=1024**3)
            lesions = find_lesions(classifier, series, store)
            if lesions.not_evaluable:
                reason = f"not evaluable: {lesions.not_evaluable}"
        if reason:
            which = (
                f"{series.modality or 'unknown'} series …{series.series_uid[-8:]}" if series.series_uid else "series"
            )
            skipped.append({"path": series_folder(series), "reason": f"{which}: {reason}", **_identity(series)})
            continue
        failed = [
            {"path": series.slices[i].path, "reason": store.failed(i) or "not decoded"}
            for i, score in enumerate(lesions.slice_scores)
            if score is None
        ]
        document = {
            "series_uid": series.series_uid,
            **_identity(series),
            "model": model,
            "findings": [lesion_json(lesion) for lesion in lesions.findings],
            "skipped": failed,
        }
        if getattr(args, "dicom_out", None) is not None:
            document["dicom"] = dicom_files_json(series, lesions, args.dicom_out)
        documents.append(document)
    if not documents and not any(entry["reason"].split(": ", 1)[-1].startswith("not evaluable") for entry in skipped):
        reasons = "; ".join(f"{entry['path']}: {entry['reason']}" for entry in skipped[:5])
        raise DetectInputError(f"no CT series found under {', '.join(args.paths)} ({reasons})")
    return {"series": documents, "skipped": skipped}


def dicom_files_json(series, lesions, out_dir: Path) -> dict:
    """Write the series' SEG and SR into ``out_dir``; their paths (``seg`` None without a finding) or the error."""
    from lungview.reports.dicom_findings import write_dicom_findings
    from lungview.reports.dicom_seg import DicomFindingsError

    try:
        files = write_dicom_findings(series, lesions, out_dir)
    except (DicomFindingsError, OSError) as error:
        return {"seg": None, "sr": None, "error": str(error)}
    return {"seg": str(files.seg) if files.seg else None, "sr": str(files.sr), "error": None}


def print_table(document: dict) -> None:
    """A short human-readable summary of the findings: where, slices, centre, size, volume and attenuation."""
    from types import SimpleNamespace

    from lungview.inference.triage_summary import finding_description

    for entry in document["series"]:
        findings = entry["findings"]
        threshold = entry["model"]["threshold"]
        print(f"series …{entry['series_uid'][-12:]}: {len(findings)} finding(s) at or above {threshold:.3f}")
        for finding in findings:
            indices = [s["index"] for s in finding["slices"]]
            centre = finding["centre"]
            print(
                f"  #{finding['rank']} score {finding['score']:.3f}  slices {indices[0]}-{indices[-1]}  "
                f"centre slice {centre['index']} (row {centre['row']:.0f}, col {centre['col']:.0f})  "
                f"{finding_description(SimpleNamespace(**finding))}"
            )
        dicom = entry.get("dicom")
        if dicom is not None:
            written = [path for path in (dicom["seg"], dicom["sr"]) if path]
            print(f"  DICOM: {', '.join(written)}" if written else f"  DICOM not written: {dicom['error']}")
    for entry in document["skipped"]:
        print(f"skipped {entry['path']}: {entry['reason']}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    return answer("detect", args, detect, DetectInputError, print_json if args.json else print_table)
