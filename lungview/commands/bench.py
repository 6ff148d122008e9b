"""``lungview bench [--json] [--only SECTION ...] [--slices N]``: LungView against its references on this machine."""

import argparse
import json
import os
import sys

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


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from lungview.bench.summary import SECTIONS, format_report, run_all

    if args.slices < 1:
        print("lungview bench: --slices must be at least 1", file=sys.stderr)
        return 2
    sections = tuple(args.only or SECTIONS)
    results = run_all(args.slices, sections, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(results, indent=2) if args.json else format_report(results))
    return 0 if all("error" not in results[name] for name in sections) else 1
