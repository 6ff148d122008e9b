"""Archive triage benchmark: slices/s of a plain in-process loop, and of Dask with 1 and 2 workers, on one archive.

Run ``python -m lungview.bench.triage [--series N] [--slices N] [--repeats N] [--json]``. Every way runs the
same per-series task (:func:`~lungview.triage.task.analyse_series`: the lesion finder) on the same made archive
(copies of the bundled sample series under new UIDs) with one thread per worker for the network, OpenCV and
slice decoding, so that the figures compare the machinery, not thread counts. Each process analyses one series
untimed first (the first series of a fresh process runs slower). Goals: Dask's overhead against the plain loop
<= 10 %; 1 -> 2 workers >= 1.7x. Model loading is not timed (each worker loads the model once).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"dask_overhead_max": 0.10, "two_worker_scaling_min": 1.7}
MODEL_ID = "ct-lesion-seg"


def plain_loop(roots: list[Path], model_id: str, threads: int) -> dict:
    """Slices/s of the per-series task called series after series in this process with ``threads`` threads."""
    from lungview.triage.archive import discover
    from lungview.triage.runner import model_of
    from lungview.triage.task import ModelSpec, analyse_series

    model = model_of(model_id)
    spec = ModelSpec(model["id"], model["sha256"], threads=threads)
    entries = discover(roots).series
    analyse_series(entries[0].key, entries[0].series, spec)  # warm-up, as every Dask worker gets one
    started = time.perf_counter()
    for entry in entries:
        analyse_series(entry.key, entry.series, spec)
    seconds = time.perf_counter() - started
    slices = sum(entry.slice_count for entry in entries)
    return {"threads": threads, "series": len(entries), "slices": slices, "seconds": round(seconds, 2),
            "slices_per_s": round(slices / seconds, 2)}


def dask_run(roots: list[Path], model_id: str, workers: int, worklist: Path) -> dict:
    """Slices/s of a triage of ``roots`` on a new local cluster of ``workers`` one-thread workers."""
    from lungview.triage.archive import discover
    from lungview.triage.cluster import ClusterPlan, local_client
    from lungview.triage.runner import model_of, plan_triage, run_plan
    from lungview.triage.task import ModelSpec, analyse_series, without_identity
    from lungview.triage.worklist import Worklist

    model = model_of(model_id)
    spec = ModelSpec(model["id"], model["sha256"], threads=1)
    with Worklist(worklist) as store, local_client(ClusterPlan(workers, 1)) as client:
        plan = plan_triage(discover(roots), store, model, min_slices=1)
        first = plan.to_analyse[0]
        client.run(analyse_series, first.key, without_identity(first.series), spec)  # warm-up on every worker
        before = cpu_seconds()
        summary = run_plan(plan, store, client, spec)
        after = cpu_seconds()
        compute = sum(row.seconds for row in store.rows() if row.status == "done")
        tasks_per_s = empty_task_rate(client)
        discovery = discovery_rate(roots, client)
    return {"workers": workers, "series": summary.statuses["done"], "slices": summary.slices,
            "seconds": round(summary.seconds, 2), "slices_per_s": round(summary.slices_per_s or 0.0, 2),
            "compute_seconds": round(compute, 2), "busy_share": round(compute / (workers * summary.seconds), 3),
            "empty_tasks_per_s": tasks_per_s, "discovery_files_per_s": discovery["files_per_s"],
            "client_cpu_seconds": round(after[0] - before[0], 2),
            "workers_cpu_seconds": round(after[1] - before[1], 2)}


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by this process (the client, with Dask's scheduler and nannies) and by its children
    (the workers)."""
    import psutil

    me = psutil.Process()
    children = 0.0
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
            children += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    times = me.cpu_times()
    return times.user + times.system, children


def empty_task_rate(client, tasks: int = 1000) -> float:
    """Tasks/s the cluster of ``client`` completes when the tasks do nothing (what its scheduler costs per task)."""
    started = time.perf_counter()
    client.gather(client.map(abs, range(tasks), pure=False))
    return round(tasks / (time.perf_counter() - started), 1)


def worklist_rate(folder: Path, rows: int = 2000) -> float:
    """Rows/s the client commits to a worklist, one commit per row as in a run."""
    from lungview.triage.archive import ArchiveSeries, StudyFields
    from lungview.triage.rows import skipped_row
    from lungview.triage.worklist import Worklist

    model = {"id": "m", "version": "1", "sha256": "0" * 64}
    entries = [ArchiveSeries(str(n), "1", str(n), "CT", "", str(folder), 1, StudyFields(), None) for n in range(rows)]
    with Worklist(folder / "rate.sqlite") as worklist:
        started = time.perf_counter()
        for entry in entries:
            worklist.record(skipped_row(entry, "measuring", model))
        return round(rows / (time.perf_counter() - started), 1)


def discovery_rate(roots: list[Path], client=None, files_per_task: int = 100) -> dict:
    """Files/s of the header-only discovery, by this process alone or by ``client``'s workers."""
    from lungview.triage.archive import discover

    started = time.perf_counter()
    archive = discover(roots, client, files_per_task)
    seconds = time.perf_counter() - started
    files = sum(entry.slice_count for entry in archive.series)
    return {"files": files, "seconds": round(seconds, 2), "files_per_s": round(files / seconds, 1)}


def run_triage_benchmark(
    series: int = 24, slices: int = 30, model_id: str = MODEL_ID, repeats: int = 2, log=print
) -> dict:
    """Every figure of the triage benchmark as a dict: each way runs ``repeats`` times, in turn, and keeps its best.

    Taking turns and the best run keeps a passing load on a shared machine from favouring one way.
    """
    from lungview.bench.archive import make_sample_archive
    from lungview.triage.cluster import quiet_dask_logs

    quiet_dask_logs()
    figures: dict = {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    runs: dict[str, list[dict]] = {"plain_1_thread": [], "dask_1_worker": [], "dask_2_worker": []}
    with tempfile.TemporaryDirectory(prefix="lungview-bench-triage-") as scratch:
        root = Path(scratch) / "archive"
        make_sample_archive(root, series, slices)
        figures["discovery"] = discovery_rate([root])
        figures["worklist_rows_per_s"] = worklist_rate(Path(scratch))
        for repeat in range(1, repeats + 1):
            log(f"round {repeat}/{repeats}: plain loop…")
            runs["plain_1_thread"].append(plain_loop([root], model_id, 1))
            for workers in (1, 2):
                log(f"round {repeat}/{repeats}: Dask, {workers} worker(s)…")
                worklist = Path(scratch) / f"w{workers}-{repeat}.sqlite"
                runs[f"dask_{workers}_worker"].append(dask_run([root], model_id, workers, worklist))
    for key, samples in runs.items():
        figures[key] = {**max(samples, key=lambda run: run["slices_per_s"]),
                        "all_slices_per_s": [run["slices_per_s"] for run in samples]}
    plain, one, two = (figures[key]["slices_per_s"] for key in runs)
    figures["dask_overhead"] = round(plain / one - 1, 3)
    figures["two_worker_scaling"] = round(two / one, 2)
    # Dask's own cost, apart from how fast the shared cores ran the finder: the run's wall time beyond the time
    # the worker spent inside the finder (one worker runs one series at a time).
    figures["dask_machinery_overhead"] = round(1 / figures["dask_1_worker"]["busy_share"] - 1, 3)
    figures["goals"] = GOALS
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def format_figures(figures: dict) -> str:
    """The figures against the goals, one per line."""
    overhead, scaling = figures["dask_overhead"], figures["two_worker_scaling"]
    lines = [f"{figures['cpus']} CPU(s); load average before {figures['load_average_before']}, "
             f"after {figures['load_average_after']}"]
    for key in ("plain_1_thread", "dask_1_worker", "dask_2_worker"):
        f = figures[key]
        lines.append(f"{key}: best {f['slices_per_s']} slices/s ({f['slices']} slices in {f['seconds']} s; "
                     f"all runs {f['all_slices_per_s']})")
    lines.append(f"Dask overhead vs the plain loop: {overhead:+.1%} (goal <= {GOALS['dask_overhead_max']:.0%}) "
                 f"{'met' if overhead <= GOALS['dask_overhead_max'] else 'MISSED'}")
    lines.append(f"1 -> 2 workers: {scaling:.2f}x (goal >= {GOALS['two_worker_scaling_min']}x) "
                 f"{'met' if scaling >= GOALS['two_worker_scaling_min'] else 'MISSED'}")
    two = figures["dask_2_worker"]
    lines.append(f"Dask's own cost (1 worker: wall time beyond the time inside the finder): "
                 f"{figures['dask_machinery_overhead']:+.1%}; 2 workers busy {two['busy_share']:.0%} of the run")
    if "workers_cpu_seconds" in two:
        lines.append(f"2 workers: {two['workers_cpu_seconds']} CPU-s in the workers, {two['client_cpu_seconds']} "
                     f"in the client (scheduler, nannies, worklist) for {two['seconds']} s of wall time")
    d = figures["discovery"]
    lines.append(f"discovery (headers only): {d['files_per_s']} files/s by the client alone, "
                 f"{figures['dask_2_worker']['discovery_files_per_s']} by 2 workers ({d['files']} files); worklist "
                 f"commits {figures['worklist_rows_per_s']} rows/s; the 2-worker cluster completes "
                 f"{figures['dask_2_worker']['empty_tasks_per_s']} empty tasks/s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m lungview.bench.triage [--series N] [--slices N] [--model ID] [--repeats N] [--json]``."""
    parser = argparse.ArgumentParser(prog="python -m lungview.bench.triage", description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=24, help="series in the made archive (default 24)")
    parser.add_argument("--slices", type=int, default=30, help="slices per series, at most 30 (default 30)")
    parser.add_argument("--model", default=MODEL_ID, help=f"lesion-finding model (default {MODEL_ID})")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each way, taken in turn (default 2)")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args(argv)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    figures = run_triage_benchmark(args.series, args.slices, args.model, args.repeats, log)
    print(json.dumps(figures, indent=2) if args.json else format_figures(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
