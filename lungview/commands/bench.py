"""``lungview bench [--json] [--only SECTION ...] [--slices N]``: LungView against its references on this machine."""

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator

HELP = (
    "measure scan+decode vs plain pydicom, AI latency and triage throughput, GUI stalls, peak memory and cold start "
    "on this machine (takes a few minutes)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lungview.bench.summary import SECTIONS

    parser.add_argument("--json", action="store_true", help="print every figure as one JSON document")
    parser.add_argument(
        "--only", nargs="+", choices=tuple(SECTIONS), metavar="SECTION",
        help=f"measure only these sections ({', '.join(SECTIONS)}; default: all)",
    )
    parser.add_argument("--slices", type=int, default=300, help="slices in the made-up long series (default 300)")


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout meanwhile to stderr: Python prints, native libraries' writes to file
    descriptor 1 and child processes' output alike."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (a GUI launcher): Python's prints are all there is to move
        saved = None
    try:
        if saved is not None:
            os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from lungview.bench.summary import SECTIONS, format_report, run_all

    if args.slices < 1:
        print("lungview bench: --slices must be at least 1", file=sys.stderr)
        return 2
    sections = tuple(args.only or SECTIONS)
    with stdout_to_stderr():  # libraries print (efficientnet's "Loaded pretrained weights"): stdout is the report's
        results = run_all(args.slices, sections, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(results, indent=2) if args.json else format_report(results))
    return 0 if all("error" not in results[name] for name in sections) else 1
