"""``lungview screenshot PATH --out FILE.png``: the real viewer window, rendered offscreen, saved as a PNG."""

import argparse
import os
import sys

from lungview.windowing import PRESETS

HELP = "save a PNG of the viewer window on PATH (the same widgets as the GUI, rendered offscreen)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM folder, DICOMDIR, files, or PNG/JPG slices")
    parser.add_argument("--out", required=True, metavar="FILE.png", help="where to write the PNG")
    slice_choice = parser.add_mutually_exclusive_group()
    slice_choice.add_argument(
        "--index", type=int, metavar="I",
        help="slice index in the sorted series, from 0 (as in predict and report; default: the middle slice)",
    )
    slice_choice.add_argument(
        "--slice", type=int, metavar="N", help="deprecated: slice number from 1 as in the overlay; use --index N-1"
    )
    parser.add_argument(
        "--layout", choices=("axial", "mpr"), default="axial",
        help="axial: the axial view alone (default); mpr: axial, coronal and sagittal side by side",
    )
    parser.add_argument(
        "--window", choices=[*PRESETS, "stored"], help="display window (default: lung for CT, full range otherwise)"
    )
    parser.add_argument("--hide-identifiers", action="store_true", help="hide patient name, ID and birth date")
    parser.add_argument("--ai", action="store_true", help="show the AI panel with the slice classified")
    parser.add_argument("--cam", action="store_true", help="show the AI panel and the attention overlay (implies --ai)")
    parser.add_argument(
        "--annotations", action="store_true",
        help="draw the SEG, RTSTRUCT and SR (regions) objects that reference the series (without --index: on the "
        "slice they cover most)",
    )
    parser.add_argument("--size", default="1200x800", metavar="WxH", help="window size in pixels (default 1200x800)")


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 1200x800, not {text!r}") from None
    if width < 400 or height < 300:
        raise ValueError("--size must be at least 400x300")
    return width, height


def run(args: argparse.Namespace) -> int:
    try:
        width, height = _parse_size(args.size)
    except ValueError as error:
        print(f"lungview screenshot: {error}", file=sys.stderr)
        return 2
    index = args.index
    if args.slice is not None:
        index = args.slice - 1
        print(
            f"lungview screenshot: --slice is deprecated (it counts from 1); use --index {index} "
            "(indices from 0, as in predict and report)",
            file=sys.stderr,
        )
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # rendered off screen even on a desktop, before Qt starts
    from PySide6.QtCore import QSize

    from lungview.qt.screenshot import ScreenshotError, save_screenshot

    try:
        save_screenshot(
            args.paths, args.out, index, args.window, args.hide_identifiers, QSize(width, height), args.ai, args.cam,
            args.layout, annotations=args.annotations,
        )
    except ScreenshotError as error:
        print(f"lungview screenshot: {error}", file=sys.stderr)
        return 2
    print(args.out)
    return 0
