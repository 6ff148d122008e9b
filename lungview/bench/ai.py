"""AI benchmark: click to probabilities, click to overlay, series triage throughput and GUI stalls on this CPU.

Run ``python -m lungview.bench.ai [--model ID]``; ``lungview bench`` calls :func:`run_ai_benchmark`. Targets:
click to probabilities <= 150 ms median, click to overlay <= 300 ms median, triage >= 20 slices/s, longest GUI
stall while analysing <= 50 ms. Without a shipped model it times an EfficientNet-Lite0 with random weights (the
same computation as the shipped architecture) and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lungview.paths import sample_series_dir

TARGETS = {
    "click_to_probabilities_ms_median": 150.0,
    "click_to_overlay_ms_median": 300.0,
    "lesion_model_click_to_probabilities_ms_median": 150.0,
    "triage_slices_per_s": 20.0,
    "longest_gui_stall_ms": 50.0,
}
STAND_IN_ID = "stand-in-efficientnet-lite0"


def _stand_in_weights(folder: Path) -> Path:
    """Save a randomly initialised EfficientNet-Lite0 224 px, 4 classes, as a model in ``folder``."""
    from lungview.models import ModelCard, save_model
    from lungview.models.backbones import build_classifier
    from lungview.models.preprocess import PreprocessParams

    network, _ = build_classifier("efficientnet-lite0", 4, 224, pretrained=False)
    card = ModelCard(
        id=STAND_IN_ID,
        version="bench",
        architecture="efficientnet-lite0",
        classes=("adenocarcinoma", "large.cell.carcinoma", "normal", "squamous.cell.carcinoma"),
        cancer_classes=("adenocarcinoma", "large.cell.carcinoma", "squamous.cell.carcinoma"),
        cancer_rule="1 - P(normal)",
        threshold=0.5,
        temperature=1.0,
        preprocessing=PreprocessParams(size=224),
        sha256="",
    )
    save_model(folder / STAND_IN_ID, network.eval(), card)
    return folder


def _median_ms(function, repeats: int) -> float:
    function()  # warm-up
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def measure_without_qt(model_id: str, weights_dir: Path | None, long_series: Path, repeats: int = 10) -> dict:
    """Per-image latency of each path (ONNX Runtime, PyTorch eager, Grad-CAM) and triage of ``long_series``."""
    from lungview.dicom import SliceStore, read_slice, scan_paths
    from lungview.inference.classifier import load_classifier, warm_up_cam
    from lungview.inference.jobs import triage_series

    started = time.perf_counter()
    fast = load_classifier(model_id, weights_dir, backend="torch")
    load_s = time.perf_counter() - started
    warm_up_cam(fast)
    slow = load_classifier(model_id, weights_dir, fast=False, backend="torch")
    sample = scan_paths([sample_series_dir()]).series[0]
    image = read_slice(sample, len(sample) // 2)
    batch = fast.prepare([image], True)
    predicted = fast.classify_batch(batch)[0].prediction.predicted
    series = scan_paths([long_series]).series[0]
    started = time.perf_counter()
    result = triage_series(fast, SliceStore(series))
    triage_s = time.perf_counter() - started
    return {
        "model_load_s": round(load_s, 2),
        "preprocess_ms": _median_ms(lambda: fast.prepare([image], True), repeats),
        "onnxruntime_batch1_ms": _median_ms(lambda: fast.classify_batch(batch), repeats) if fast.fast_path else None,
        "torch_eager_batch1_ms": _median_ms(lambda: slow.classify_batch(batch), repeats),
        "gradcam_ms": _median_ms(lambda: fast.cam(image, True, predicted), max(3, repeats // 2)),
        "triage_fresh_series_slices": len(series),
        "triage_fresh_series_slices_per_s": round(len(series) / triage_s, 1),
        "triage_fresh_series_complete": result.complete,
    }


def run_ai_benchmark(model_id: str | None = None, weights_dir: Path | None = None, long_slices: int = 120) -> dict:
    """Every AI figure for ``model_id`` (default: the default shipped classifier, else a stand-in) as a dict."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from lungview.bench.ai_panel_timing import measure_ai_panel
    from lungview.bench.gui import write_long_series
    from lungview.inference.cache import ClassifierCache
    from lungview.inference.model_choice import LESION_MODEL, default_classifier_id
    from lungview.models import list_model_ids

    with tempfile.TemporaryDirectory(prefix="lungview-bench-ai-") as scratch:
        scratch_path = Path(scratch)
        model_id = model_id or default_classifier_id(list_model_ids(weights_dir))
        stand_in = model_id is None
        if stand_in:
            weights_dir, model_id = _stand_in_weights(scratch_path / "weights"), STAND_IN_ID
        (scratch_path / "long").mkdir()
        long_series = write_long_series(scratch_path / "long", long_slices)
        figures = {"model_id": model_id, "stand_in_model": stand_in, "cpus": os.cpu_count()}
        # The window first, so that it pays for importing torch and the Grad-CAM package, as a user's does.
        cache = ClassifierCache(weights_dir, lister=lambda: [model_id])
        figures["gui"] = measure_ai_panel([str(sample_series_dir())], str(scratch_path / "settings.ini"), cache)
        if not stand_in and LESION_MODEL in list_model_ids(weights_dir):
            # the viewer's default on DICOM CT: the first click analyses the whole series, later ones read it
            lesion_cache = ClassifierCache(weights_dir, lister=lambda: [LESION_MODEL])
            settings = str(scratch_path / "lesion-settings.ini")
            figures["lesion_model_gui"] = measure_ai_panel([str(sample_series_dir())], settings, lesion_cache)
        figures.update(measure_without_qt(model_id, weights_dir, long_series))
    gui = figures["gui"]
    figures["summary"] = {
        "click_to_probabilities_ms_median": gui["click_to_probabilities_ms_median"],
        "click_to_overlay_ms_median": gui["click_to_overlay_ms_median"],
        **(
            {"lesion_model_click_to_probabilities_ms_median": lesion["click_to_probabilities_ms_median"]}
            if (lesion := figures.get("lesion_model_gui")) else {}
        ),
        "triage_slices_per_s": min(gui["triage_slices_per_s_gui"], figures["triage_fresh_series_slices_per_s"]),
        "longest_gui_stall_ms": max(
            gui["longest_gui_stall_ms_while_classifying"], gui["longest_gui_stall_ms_while_triaging"]
        ),
    }
    figures["targets"] = TARGETS
    figures["load_average_1min"] = os.getloadavg()[0]
    return figures


def format_figures(figures: dict) -> str:
    """The summary figures against their targets, one per line."""
    lines = [f"model {figures['model_id']}{' (stand-in, random weights)' if figures['stand_in_model'] else ''}, "
             f"backend {figures['gui']['backend']}, load average {figures['load_average_1min']:.1f}"]
    for key, value in figures["summary"].items():
        target = TARGETS[key]
        met = value >= target if key == "triage_slices_per_s" else value <= target
        relation = ">=" if key == "triage_slices_per_s" else "<="
        lines.append(f"{key}: {value} (target {relation} {target:g}) {'met' if met else 'MISSED'}")
    for key in ("onnxruntime_batch1_ms", "torch_eager_batch1_ms", "gradcam_ms", "preprocess_ms", "model_load_s"):
        lines.append(f"{key}: {figures[key]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m lungview.bench.ai [--model ID] [--weights-dir DIR] [--json]``."""
    parser = argparse.ArgumentParser(prog="python -m lungview.bench.ai", description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model id (default: the default shipped classifier)")
    parser.add_argument("--weights-dir", type=Path, help="models folder (default: the shipped weights/)")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args(argv)
    figures = run_ai_benchmark(args.model, args.weights_dir)
    print(json.dumps(figures, indent=2) if args.json else format_figures(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
