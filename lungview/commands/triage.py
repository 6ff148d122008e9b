"""``lungview triage ROOT [ROOT ...] --out WORKLIST.sqlite``: rank an archive's CT series for review.

Runs the lesion finder on every CT series under the roots, on a local Dask cluster sized to this machine or on
an existing one (``--scheduler``), and writes one worklist row per series (docs/triage.md). Rerun it to continue.
"""

import argparse
import sqlite3
import sys
from pathlib import Path

HELP = "rank every CT series under folders or DICOMDIRs by the lesion finder's top finding into a SQLite worklist"
DEFAULT_MODEL = "ct-lesion-seg"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lungview.triage.eligibility import MIN_SLICES

    parser.add_argument("roots", nargs="+", metavar="ROOT", help="archive folder, DICOMDIR or files")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="WORKLIST.sqlite", help="the worklist (made or continued)"
    )
    parser.add_argument("--csv", type=Path, metavar="FILE", help="also export the whole worklist as CSV")
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument(
        "--workers", type=int, metavar="N",
        help="local worker processes (default: one per core, at most one per 2 GiB of memory)",
    )
    cluster.add_argument(
        "--scheduler", metavar="ADDRESS", help="use the running Dask scheduler at ADDRESS (tcp://host:8786)"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, metavar="ID", help=f"lesion-finding model (default {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--min-slices",
        type=int,
        default=MIN_SLICES,
        metavar="N",
        help=f"skip series with fewer slices (default {MIN_SLICES})",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (the summary is still printed)")


def run(args: argparse.Namespace) -> int:
    """Validate the options, triage, and write the CSV (when asked) whatever the outcome; Ctrl+C at any moment is
    exit 130 and leaves a worklist the next run continues."""
    problem = option_problem(args)
    if problem:
        print(f"lungview triage: {problem}", file=sys.stderr)
        return 2
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(
            "\nlungview triage: interrupted; every series finished so far is in the worklist, rerun to go on",
            file=sys.stderr,
        )
        return 130
    finally:
        if args.csv:
            _export_csv(args.out, args.csv)


def option_problem(args: argparse.Namespace) -> str | None:
    """A one-line sentence naming the first bad option value, or None when they are all usable."""
    if args.workers is not None and args.workers < 1:
        return f"--workers must be at least 1 (got {args.workers})"
    if args.min_slices < 1:
        return f"--min-slices must be at least 1 (got {args.min_slices})"
    if args.out.exists() and not args.out.is_file():
        return f"--out {args.out} is not a file"
    if args.csv is not None and args.csv.resolve() == args.out.resolve():
        return "--csv must not be the worklist file itself"
    missing = [root for root in args.roots if not Path(root).exists()]
    if missing:
        return f"no such file or folder: {missing[0]}"
    return None


def _export_csv(worklist: Path, csv: Path) -> None:
    """Write the worklist's rows as CSV (also after an error or an interruption); says so when it cannot."""
    from lungview.triage.worklist import read_worklist, write_csv

    try:
        rows = read_worklist(worklist) if worklist.is_file() else []
        write_csv(rows, csv)
    except (OSError, sqlite3.Error) as error:
        print(f"lungview triage: the CSV {csv} could not be written ({error})", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from lungview.inference.lesion_segmenter import load_lesion_finder
    from lungview.inference.model_choice import current_model_id
    from lungview.models import ModelError
    from lungview.triage.cluster import local_client, plan_local_cluster, quiet_dask_logs, remote_client
    from lungview.triage.progress import format_summary
    from lungview.triage.runner import TriageError, model_of
    from lungview.triage.task import ModelSpec
    from lungview.triage.worklist import Worklist, WorklistError

    quiet_dask_logs(args.debug)
    args.model = current_model_id(args.model)
    try:
        model = model_of(args.model)
    except ModelError as error:
        print(f"lungview triage: {error}", file=sys.stderr)
        return 2
    if args.scheduler:
        spec = ModelSpec(model["id"], model["sha256"])
        client_context = remote_client(args.scheduler)
    else:
        try:  # verified here once, so that the local workers read its ONNX export from the cache instead of each
            load_lesion_finder(args.model)  # so that each worker does not check the files again
        except ModelError as error:
            print(f"lungview triage: {error}", file=sys.stderr)
            return 2
        cluster_plan = plan_local_cluster(args.workers)
        spec = ModelSpec(model["id"], model["sha256"], threads=cluster_plan.cores_per_worker)
        client_context = local_client(cluster_plan)
    try:
        with Worklist(args.out) as worklist, client_context as client:
            summary = _triage(args, client, worklist, model, spec)
    except (TriageError, WorklistError) as error:
        print(f"lungview triage: {error}", file=sys.stderr)
        return 1
    print(format_summary(summary))
    return 0


def _triage(args: argparse.Namespace, client, worklist, model: dict, spec):
    """Discover the archive on the cluster, plan against the worklist and run, with a progress bar."""
    from lungview.triage.archive import discover
    from lungview.triage.progress import TriageProgress
    from lungview.triage.runner import plan_triage, run_plan

    print("finding series (headers only)…", file=sys.stderr, flush=True)
    archive = discover(args.roots, client)
    plan = plan_triage(archive, worklist, model, args.min_slices)
    print(
        f"{len(archive.series)} series in {len(archive.studies)} studies: {len(plan.settled)} already in the "
        f"worklist, {len(plan.skipped)} to skip, {len(plan.not_evaluable)} not evaluable, "
        f"{len(plan.to_analyse)} to analyse",
        file=sys.stderr,
        flush=True,
    )
    with TriageProgress(plan, not args.no_progress) as progress:
        return run_plan(plan, worklist, client, spec, progress.on_recorded)
