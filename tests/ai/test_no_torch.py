"""The whole AI path runs where torch cannot be imported: ``lungview predict --cam`` and ``lungview report --cam``.

Each runs in a subprocess in which ``import torch`` (and torchvision, pytorch_grad_cam) fails, on the bundled
sample series, with the shipped models' ONNX files (the ``onnx_weights_dir`` fixture) as the weights folder.
"""

import json
import subprocess
import sys

BLOCK_TORCH_AND_RUN = """
import json, sys
for name in ("torch", "torchvision", "pytorch_grad_cam"):
    sys.modules[name] = None  # any import of them now raises ImportError
from pathlib import Path
import lungview.paths
lungview.paths.weights_dir = lambda: Path(sys.argv[1])
from lungview.cli import main
status = main(sys.argv[2:])
heavy = ("torch", "sklearn")  # scipy.ndimage labels the lesion model's findings
loaded = sorted(m for m in sys.modules if m.split(".")[0] in heavy and sys.modules[m] is not None)
print(json.dumps({"status": status, "loaded": loaded}), file=sys.stderr)
"""


def _run_without_torch(weights_dir, *arguments) -> tuple[str, dict]:
    command = [sys.executable, "-c", BLOCK_TORCH_AND_RUN, str(weights_dir), *arguments]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout, json.loads(finished.stderr.strip().splitlines()[-1])


def test_predict_with_grad_cam_without_torch(onnx_weights_dir, sample_series_dir):
    stdout, outcome = _run_without_torch(
        onnx_weights_dir, "predict", str(sample_series_dir), "--slices", "12,20", "--cam", "--model", "ct-lesion-seg"
    )
    assert outcome == {"status": 0, "loaded": []}
    results = json.loads(stdout)["results"]
    assert [r["index"] for r in results] == [12, 20]
    for record in results:
        assert abs(sum(record["probabilities"].values()) - 1.0) < 1e-5
        row, col = record["cam_peak"]
        assert 0 <= row < 512 and 0 <= col < 512


def test_report_with_grad_cam_without_torch(onnx_weights_dir, sample_series_dir, tmp_path):
    out = tmp_path / "report.png"
    _, outcome = _run_without_torch(
        onnx_weights_dir,
        "report",
        str(sample_series_dir),
        "--slice",
        "15",
        "--cam",
        "--model",
        "ct-subtype-4",
        "--out",
        str(out),
    )
    assert outcome == {"status": 0, "loaded": []}
    assert out.stat().st_size > 10_000
