"""``lungview [view] [PATH ...]``: start the viewer (the bundled sample series when no path is given)."""

import argparse

HELP = "open the viewer on PATH (default: the bundled sample series)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="DICOM folder, DICOMDIR, files, or PNG/JPG slices")


def run(args: argparse.Namespace) -> int:
    from lungview.qt.app import run_viewer

    return run_viewer(args.paths)
