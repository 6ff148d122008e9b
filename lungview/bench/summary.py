"""Run every LungView benchmark in one go and put the figures, each beside its reference, in one report.

Used by ``lungview bench``. Every number comes from this run; nothing is carried over from an earlier one.
"""

import importlib.metadata
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def machine() -> dict:
    """What the figures were measured on: CPU model and count, memory, GPU, load, versions."""
    import torch

    return {
        "cpu_model": _cpu_model(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
        "load_average_1min": os.getloadavg()[0],
        "python": platform.python_version(),
        "versions": {name: importlib.metadata.version(name) for name in ("torch", "pydicom", "PySide6-Essentials")},
        "system": platform.platform(),
    }


def _cpu_model() -> str:
    """The ``model name`` line of /proc/cpuinfo (what ``lscpu`` shows), else the platform's processor string."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _open_series(slices: int) -> dict:
    from lungview.bench.open_series import run_open_benchmark

    return run_open_benchmark(slices=slices)


def _decode(slices: int) -> dict:
    from lungview.bench.decode import run_decode_benchmark

    return run_decode_benchmark(slices=slices)


def _ai(slices: int) -> dict:
    from lungview.bench.ai import run_ai_benchmark

    return run_ai_benchmark()  # its own 120-slice triage series: the model, not the decoder, sets that pace


def _findings(slices: int) -> dict:
    from lungview.bench.findings import run_findings_benchmark

    return run_findings_benchmark(slices=slices)


def _gui(slices: int) -> dict:
    from lungview.bench.gui import run_benchmark

    return run_benchmark(long_series_slices=slices)


def _mpr(slices: int) -> dict:
    from lungview.bench.mpr import run_mpr_benchmark

    return run_mpr_benchmark(slices=slices)


def _memory(slices: int) -> dict:
    from lungview.bench.memory import run_memory_benchmark

    return run_memory_benchmark(slices=slices)


def _cold_start(slices: int) -> dict:
    from lungview.bench.cold_start import run_cold_start_benchmark

    return run_cold_start_benchmark()


def _triage(slices: int) -> dict:
    from lungview.bench.triage import run_triage_benchmark

    # one short round; `python -m lungview.bench.triage` measures the figures of docs/triage.md
    return run_triage_benchmark(series=8, repeats=1, log=lambda line: None)


#: Section name -> what measures it (each imports its heavy modules when it runs).
SECTIONS: dict[str, Callable[[int], dict]] = {
    "open_series": _open_series,
    "decode": _decode,
    "ai": _ai,
    "findings": _findings,
    "gui": _gui,
    "mpr": _mpr,
    "memory": _memory,
    "cold_start": _cold_start,
    "triage": _triage,
}


def run_all(slices: int = 300, sections: tuple[str, ...] = tuple(SECTIONS), log: Callable[[str], None] = print) -> dict:
    """Run ``sections`` in order; a section that cannot run is recorded with its reason instead of its figures."""
    results: dict = {"machine": machine(), "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    for name in sections:
        log(f"measuring {name}…")
        started = time.perf_counter()
        try:
            results[name] = SECTIONS[name](slices)
        except Exception as error:  # one broken section must not cost the figures of the others
            results[name] = {"error": f"{type(error).__name__}: {error}"}
        results[name]["section_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_1min_after"] = os.getloadavg()[0]
    return results


def format_report(results: dict) -> str:
    """The figures as text, one measurement and its reference per line."""
    m = results["machine"]
    lines = [
        f"machine: {m['cpu_model']}, {m['cpus']} CPU(s), {m['memory_gib']} GiB, GPU: {m['gpu']}; "
        f"load average {m['load_average_1min']:.1f} before, {m['load_average_1min_after']:.1f} after",
    ]
    for name in SECTIONS:
        if name not in results:
            continue
        figures = results[name]
        if "error" in figures:
            lines.append(f"{name}: not measured ({figures['error']})")
            continue
        lines += FORMATTERS[name](figures)
    return "\n".join(lines)


def _open_series_lines(o: dict) -> list[str]:
    return [
        f"series scan + decode ({o['slices']:.0f} slices): {o['scan_and_decode_s']:.2f} s on one thread, "
        f"{o['scan_and_decode_two_threads_s']:.2f} s on two, vs plain pydicom {o['plain_pydicom_s']:.2f} s "
        f"= {o['ratio_one_thread']:.2f}x / {o['ratio_two_threads']:.2f}x its speed (one thread in CPU time "
        f"{o['ratio_one_thread_cpu_time']:.2f}x; header scan alone {o['scan_s']:.2f} s)",
    ]


def _decode_lines(d: dict) -> list[str]:
    return [
        f"  decode alone: {d['engine_one_thread_slices_per_s']:.0f} slices/s one thread "
        f"({d['one_thread_ratio']:.2f}x plain pydicom), {d['engine_parallel_slices_per_s']:.0f} slices/s "
        f"with {d['workers']:.0f} workers ({d['parallel_ratio']:.2f}x); peak traced memory "
        f"{d['peak_memory_ratio']:.2f}x the HU array",
    ]


def _ai_lines(a: dict) -> list[str]:
    s, gui = a["summary"], a["gui"]
    model = f"{a['model_id']}{' (stand-in with random weights: no model shipped)' if a['stand_in_model'] else ''}"
    inference_ms = a["onnxruntime_batch1_ms"] or a["torch_eager_batch1_ms"]
    return [
        f"AI model: {model}, backend {gui['backend']}",
        f"click to probabilities: {s['click_to_probabilities_ms_median']:.0f} ms median "
        f"vs the model alone {inference_ms:.0f} ms (one image, {gui['backend']})",
        f"click to overlay: {s['click_to_overlay_ms_median']:.0f} ms median vs Grad-CAM alone {a['gradcam_ms']:.0f} ms",
        f"series triage: {s['triage_slices_per_s']:.1f} slices/s vs the model alone {1000 / inference_ms:.1f} images/s "
        f"(one at a time)",
        f"longest GUI-thread stall while analysing: {s['longest_gui_stall_ms']:.0f} ms "
        f"vs {gui['longest_gui_stall_ms_idle']:.0f} ms with the window idle (the machine's load alone; "
        f"target <= {a['targets']['longest_gui_stall_ms']:.0f} ms)",
    ] + _lesion_model_lines(a.get("lesion_model_gui"))


def _lesion_model_lines(lesion: dict | None) -> list[str]:
    if lesion is None:
        return []
    first, *later = lesion["click_to_probabilities_ms"]
    return [
        f"lesion model {lesion['model']}: first click {first:.0f} ms (analyses the whole {lesion['slices']}-slice "
        f"series), later clicks {statistics.median(later):.0f} ms median; click to overlay "
        f"{lesion['click_to_overlay_ms_median']:.0f} ms median"
    ]


def _findings_lines(f: dict) -> list[str]:
    t = f["targets"]
    lines = []
    for encoding in ("uncompressed", "jpeg2000", "jpeg2000_lossy"):
        if encoding not in f:
            continue
        figures, target = f[encoding], t.get(f"{encoding}_slices_per_s")
        line = (
            f"files to ranked findings ({f['slices']} slices, {encoding}): {figures['seconds']:.1f} s = "
            f"{figures['slices_per_s']:.0f} slices/s" + (f" (target >= {target:.0f})" if target else "")
        )
        if "decode_only" in figures:
            decode = figures["decode_only"]
            line += (f"; decoding alone {decode['slices_per_s']:.0f} slices/s, the findings take "
                     f"{decode['findings_over_decode_time']:.1f}x its time")
        lines.append(line)
    lines.append(
        f"  longest GUI-thread stall while the findings are computed: {f['longest_gui_stall_ms']:.0f} ms "
        f"(target <= {t['longest_gui_stall_ms']:.0f} ms); model load {f['load_s']:.1f} s"
    )
    return lines


def _gui_lines(g: dict) -> list[str]:
    series = {name: value for name, value in g.items() if isinstance(value, dict)}
    return [
        f"longest GUI-thread stall while loading {name} ({value['slices']} slices): {value['longest_gap_ms']:.0f} ms "
        f"(median heartbeat gap {value['median_gap_ms']:.0f} ms; target <= {g['target_longest_gap_ms']:.0f} ms)"
        for name, value in series.items()
    ]


def _mpr_lines(m: dict) -> list[str]:
    target = f"target <= {m['target_longest_gap_ms']:.0f} ms"
    return [
        f"coronal/sagittal views ({m['slices']} slices): reformat built in {m['build_s']:.2f} s (longest GUI-thread "
        f"stall meanwhile {m['build_longest_gap_ms']:.0f} ms; {m['idle_longest_gap_ms']:.0f} ms with the window idle, "
        "the machine's load alone)",
        *(
            f"  {what}: longest GUI-thread stall {m[key]['longest_gap_ms']:.0f} ms over {m[key]['steps']} steps "
            f"(slowest step {m[key]['slowest_step_ms']:.0f} ms, median {m[key]['median_step_ms']:.0f} ms; {target})"
            for key, what in (("scroll", "scrolling the planes"), ("drag", "dragging the crosshair"))
        ),
    ]


def _memory_lines(m: dict) -> list[str]:
    return [
        f"peak memory, viewer with a {m['slices']:.0f}-slice series loaded: {m['peak_rss_mb']:.0f} MiB RSS "
        f"= {m['peak_ratio_to_hu_array']:.2f}x the series' HU array ({m['hu_array_mb']:.0f} MiB); "
        f"the process with only Qt started: {m['rss_qt_started_mb']:.0f} MiB"
        + ("; includes the AI model the viewer loads meanwhile" if m["ai_libraries_loaded"] else ""),
    ]


def _cold_start_lines(c: dict) -> list[str]:
    return [
        f"cold start to the first painted slice: {c['first_image_s']:.2f} s (median of {c['runs']:.0f}; first run "
        f"{c['first_run_first_image_s']:.2f} s) vs a bare Qt window {c['bare_qt_window_s']:.2f} s "
        f"= {c['ratio_to_bare_qt']:.1f}x",
    ]


def _triage_lines(t: dict) -> list[str]:
    from lungview.bench.triage import format_figures

    return ["archive triage (8 series, one round):", *("  " + line for line in format_figures(t).splitlines()[1:])]


FORMATTERS: dict[str, Callable[[dict], list[str]]] = {
    "open_series": _open_series_lines,
    "decode": _decode_lines,
    "ai": _ai_lines,
    "findings": _findings_lines,
    "gui": _gui_lines,
    "mpr": _mpr_lines,
    "memory": _memory_lines,
    "cold_start": _cold_start_lines,
    "triage": _triage_lines,
}
