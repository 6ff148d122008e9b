"""``lungview report PATH --index I [--model ID] [--cam] [--hide-identifiers] --out FILE.pdf|.png|.dcm``."""

import argparse
import dataclasses
import sys
from pathlib import Path

HELP = "write a report of one slice: PDF or PNG page, or a DICOM Secondary Capture with the overlay burned in"
OUTPUT_FORMATS = (".pdf", ".png", ".dcm")


class ReportInputError(ValueError):
    """Bad input to ``lungview report``: the message says what to change."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM folder, DICOMDIR, files, or PNG/JPG slices")
    parser.add_argument("--index", "--slice", dest="index", type=int, required=True, metavar="I",
                        help="slice index in the sorted series, from 0 (as in `lungview predict`; --slice is the "
                             "older name, same meaning)")
    parser.add_argument("--series", metavar="NUMBER|UID",
                        help="which series: its number in `lungview scan` (from 1) or its Series Instance UID "
                             "(default: the first)")
    parser.add_argument("--model", metavar="ID", help="model id (default: the viewer's default classifier)")
    parser.add_argument("--cam", action="store_true", help="add the model-attention overlay (Grad-CAM)")
    parser.add_argument("--window", default=None, metavar="NAME|C,W",
                        help="window preset (lung, mediastinum, soft-tissue, bone) or centre,width "
                             "(default: lung for CT, full grey range otherwise)")
    parser.add_argument("--hide-identifiers", action="store_true",
                        help="no patient name, ID or birth date in the report; a .dcm export is de-identified")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE",
                        help="output file; the format comes from the extension: .pdf, .png or .dcm")


def output_format(path: Path) -> str:
    """``.pdf``, ``.png`` or ``.dcm`` from the output file name."""
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ReportInputError(f"--out must end in {', '.join(OUTPUT_FORMATS)} (got {path.name!r})")
    if not path.parent.is_dir():
        raise ReportInputError(f"the folder for --out does not exist: {path.parent}")
    return suffix


def parse_window(text: str | None, has_hu: bool):
    """The window named by ``--window``: a preset, ``centre,width``, or the default for the series."""
    from lungview.windowing import GREY_8BIT, PRESETS, Window

    if text is None:
        return PRESETS["lung"] if has_hu else GREY_8BIT
    if text in PRESETS:
        return PRESETS[text]
    try:
        center, width = (float(part) for part in text.split(","))
    except ValueError:
        raise ReportInputError(
            f"--window must be one of {', '.join(PRESETS)} or centre,width such as --window=-600,1500 (got {text!r})"
        ) from None
    if width <= 0:
        raise ReportInputError(f"the window width must be positive (got {width:g})")
    return Window(center, width)


def choose_series(all_series, choice: str | None):
    """The series picked by ``--series`` (number from 1 or Series Instance UID), the first by default."""
    if choice is None:
        if len(all_series) > 1:
            print(f"lungview report: {len(all_series)} series found; using the first (choose with --series)",
                  file=sys.stderr)
        return all_series[0]
    if choice.isdigit() and 1 <= int(choice) <= len(all_series):
        return all_series[int(choice) - 1]
    for series in all_series:
        if series.series_uid == choice:
            return series
    raise ReportInputError(f"--series {choice!r} is neither a number from 1 to {len(all_series)} nor a series UID")


def _load_classifier(model_id: str | None, series):
    """The model ``model_id`` (default: the viewer's choice for ``series``) through the viewer's inference path."""
    from lungview.commands.model_loading import model_loader
    from lungview.inference.model_choice import default_classifier_id

    # One slice: PyTorch alone is quicker than building the ONNX Runtime fast path first (same probabilities).
    available, load = model_loader(None, ReportInputError, fast=False)
    model_id = model_id or default_classifier_id(available, [series])
    if model_id is None:
        raise ReportInputError("no shipped model was found in the weights folder")
    return load(model_id)


def make_report(args: argparse.Namespace):
    """Scan, decode, classify (as the viewer does) and build the report the arguments ask for."""
    from lungview.dicom import DecodeError, SliceStore, scan_paths
    from lungview.inference.jobs import cam_for_slice, classify_slice
    from lungview.inference.model_choice import skip_reason
    from lungview.inference.series_analysis import attention_class, find_lesions, finds_lesions, slice_from_lesions
    from lungview.reports import build_slice_report

    result = scan_paths(args.paths)
    result = dataclasses.replace(result, series=tuple(s for s in result.series if skip_reason(s) is None))
    if not result.series:
        reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in result.skipped[:3])
        raise ReportInputError(f"no usable image series under the given paths{': ' + reasons if reasons else ''}")
    series = choose_series(result.series, args.series)
    if not 0 <= args.index < len(series):
        raise ReportInputError(f"--index must be from 0 to {len(series) - 1} for this series of {len(series)} slices")
    window = parse_window(args.window, series.has_hu)
    classifier = _load_classifier(args.model, series)
    store = SliceStore(series, max_bytes=1024**3)  # a lesion finder then decodes every other slice into it
    try:
        pixels = store.load(args.index)
    except DecodeError as error:
        raise ReportInputError(f"slice {args.index} cannot be decoded: {error}") from None
    if finds_lesions(classifier, series):
        lesions = find_lesions(classifier, series, store)
        if lesions.not_evaluable:
            raise ReportInputError(
                f"the AI cannot read this series ({lesions.not_evaluable}): there is no AI result to report"
            )
        analysis = slice_from_lesions(lesions, series, args.index, classifier.card)
    else:
        analysis = classify_slice(classifier, series, args.index, pixels)
    prediction = analysis.classification.prediction
    shown = attention_class(classifier.card, prediction)
    heatmap = cam_for_slice(classifier, series, args.index, pixels, shown).heatmap if args.cam else None
    return build_slice_report(series, args.index, pixels, window, classifier.card, prediction, heatmap,
                              analysis.out_of_scope, args.hide_identifiers)


def run(args: argparse.Namespace) -> int:
    from lungview.models import ModelError
    from lungview.reports import SecondaryCaptureError, save_report, write_secondary_capture

    try:
        suffix = output_format(args.out)
        report = make_report(args)
        if suffix == ".dcm":
            write_secondary_capture(report, args.out, deidentify=args.hide_identifiers)
        else:
            save_report(report, args.out)
    except (ReportInputError, SecondaryCaptureError, ModelError) as error:
        print(f"lungview report: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"lungview report: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(args.out)
    return 0
