"""``lungview screenshot PATH --out FILE.png``: the real viewer window, rendered offscreen, saved as a PNG."""

import argparse
import os
import sys

from lungview.windowing import PRESETS

HELP = "save a PNG of the viewer window on PATH (the same widgets as the GUI, rendered offscreen)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM folder, DICOMDIR, files, or PNG/JPG slices")
    parser.add_argument("--out", required=True, metavar="FILE.png", help="where to write the PNG")
    parser.add_argument("--slice", type=int, metavar="N", help="slice number as shown in the overlay (1 = first)")
    parser.add_argument(
        "--window", choices=[*PRESETS, "stored"], help="display window (default: lung for CT, full range otherwise)"
    )
    parser.add_argument("--hide-identifiers", action="store_true", help="hide patient name, ID and birth date")
    parser.add_argument("--ai", action="store_true", help="show the AI panel with the slice classified")
    parser.add_argument("--cam", action="store_true", help="show the AI panel and the attention overlay (implies --ai)")
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
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # rendered off screen even on a desktop, before Qt starts
    from PySide6.QtCore import QSize

    from lungview.qt.screenshot import ScreenshotError, save_screenshot

    try:
        save_screenshot(
            args.paths, args.out, args.slice, args.window, args.hide_identifiers, QSize(width, height), args.ai, args.cam
        )
    except ScreenshotError as error:
        print(f"lungview screenshot: {error}", file=sys.stderr)
        return 2
    print(args.out)
    return 0
