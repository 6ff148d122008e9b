"""``lungview scan PATH [PATH ...] [--json]``: list the series and the unusable files under the paths."""

import argparse
import json
import os
import sys

HELP = "list the series (and the files that cannot be used) in DICOM folders, DICOMDIRs, files or PNG/JPG slices"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="DICOM folder, DICOMDIR, files, or PNG/JPG slices"
    )
    parser.add_argument("--json", action="store_true", help='print {"series": [...], "skipped": [...]} as JSON')


def run(args: argparse.Namespace) -> int:
    from lungview.dicom import scan_paths

    try:
        result = scan_paths(args.paths)
    except Exception as error:  # the command promises a message, never a traceback
        print(f"lungview scan: the paths could not be scanned ({type(error).__name__}: {error})", file=sys.stderr)
        return 2
    text = json.dumps(scan_result_json(result), indent=2) if args.json else scan_result_table(result)
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`; the reader has what it wanted
        sys.stdout = open(os.devnull, "w")
    return 0 if result.series else 2


def scan_result_json(result) -> dict:
    """The stable JSON form of a :class:`~lungview.volume.ScanResult` (documented in the README)."""
    return {
        "series": [
            {
                "series_uid": series.series_uid,
                "series_key": series.key,
                "stack": series.stack,
                "modality": series.modality,
                "description": series.description,
                "rows": series.rows,
                "columns": series.columns,
                "spacing": list(series.spacing) if series.spacing else None,
                "orientation": list(series.orientation) if series.orientation else None,
                "has_hu": series.has_hu,
                "warnings": list(series.warnings),
                "slices": [
                    {
                        "path": ref.path,
                        "z": ref.z,
                        "instance_number": ref.instance_number,
                        "sop_instance_uid": ref.sop_instance_uid,
                        "frame": ref.frame,
                    }
                    for ref in series.slices
                ],
            }
            for series in result.series
        ],
        "skipped": [{"path": skipped.path, "reason": skipped.reason} for skipped in result.skipped],
    }


def scan_result_table(result) -> str:
    """A readable table of series (one line each, warnings indented below) and skipped files."""
    lines = [f"{len(result.series)} series, {len(result.skipped)} file(s) skipped", ""]
    if result.series:
        lines.append(
            f"{'#':>3}  {'modality':<8} {'slices':>6}  {'size':>9}  {'spacing z/y/x mm':<20} {'HU':<3} description"
        )
    for number, series in enumerate(result.series, start=1):
        spacing = "/".join(f"{value:.2f}" for value in series.spacing) if series.spacing else "unknown"
        size = f"{series.rows}×{series.columns}"
        hu = "yes" if series.has_hu else "no"
        lines.append(
            f"{number:>3}  {series.modality:<8} {len(series):>6}  {size:>9}  {spacing:<20} {hu:<3} "
            f"{series.description}"
        )
        lines.extend(f"       ! {warning}" for warning in series.warnings)
    if result.skipped:
        lines += ["", "Skipped:"]
        lines.extend(f"  {skipped.path}: {skipped.reason}" for skipped in result.skipped)
    return "\n".join(lines)
