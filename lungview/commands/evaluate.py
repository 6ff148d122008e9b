"""``lungview evaluate``: re-measure a shipped model on its data set and rewrite its report."""

import argparse
from pathlib import Path

HELP = "evaluate a shipped model on its test splits (official and de-duplicated) and rewrite weights/<id>/report/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model_id", help="e.g. ct-subtype-4")
    parser.add_argument("data_root", type=Path, help="the data set folder the model was trained on")
    parser.add_argument("--weights-dir", type=Path, default=None, help="default: the app's weights/")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95 %% intervals")


def run(args: argparse.Namespace) -> int:
    from lungview import paths
    from lungview.models import ModelError, load_model
    from lungview.training.held_out import split_for_card
    from lungview.training.report import write_report

    weights = args.weights_dir or paths.weights_dir()
    try:
        card = load_model(args.model_id, weights).card
        audit, split = split_for_card(card, args.data_root)
        report = write_report(weights / args.model_id, args.data_root, split, audit, resamples=args.bootstrap)
    except (ModelError, ValueError) as error:
        print(f"lungview evaluate: {error}")
        return 2
    for row in report["evaluation"]["targets"]:
        print(f"{'met ' if row['met'] else 'MISSED'}  {row['target']}: {row['measured']:.3f}")
    return 0
