"""``lungview export-onnx``: write a shipped model as ONNX and verify it against PyTorch on its test images."""

import argparse
from pathlib import Path

HELP = "export a shipped model to ONNX and check it matches PyTorch (<= 1e-4) on the test images"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model_id", help="e.g. ct-subtype-4")
    parser.add_argument("data_root", type=Path, help="the model's data set folder (its test images are the check)")
    parser.add_argument("--output", type=Path, default=None, help="ONNX file to write (default: ./<model_id>.onnx)")
    parser.add_argument("--weights-dir", type=Path, default=None, help="default: the app's weights/")


def run(args: argparse.Namespace) -> int:
    import json

    from lungview import paths
    from lungview.models import ModelError, load_model
    from lungview.models.preprocess import read_grey_image
    from lungview.training.held_out import split_for_card
    from lungview.training.onnx_export import export_onnx, verify_onnx

    weights = args.weights_dir or paths.weights_dir()
    output = args.output or Path(f"{args.model_id}.onnx")
    try:
        model = load_model(args.model_id, weights)
        _, split = split_for_card(model.card, args.data_root)
        export_onnx(model, output)
        images = [read_grey_image(args.data_root / record.path) for record in split.test]
        check = verify_onnx(model, output, images)
    except (ModelError, ValueError) as error:
        print(f"lungview export-onnx: {error}")
        return 2
    report = weights / args.model_id / "report"
    report.mkdir(parents=True, exist_ok=True)
    (report / "onnx_check.json").write_text(json.dumps(check, indent=2) + "\n", encoding="utf-8")
    verdict = "passed" if check["passed"] else "FAILED"
    print(
        f"{output}: {verdict}, largest logit difference {check['max_abs_logit_difference']:.2e} "
        f"on {check['images']} test images"
    )
    return 0 if check["passed"] else 1
