"""``lungview train``: the one entry point that trains, calibrates and ships a model of either family.

- Slice classifiers (``chest-ct-4class``, ``iqothnccd``): audit the pictures, train in two stages, calibrate, write
  the model and its report (:func:`lungview.training.pipeline.train_model`).
- The lesion segmentation model ``ct-lesion-seg`` (``real-ct-lesions``; ``real-ct-tumour`` is its deprecated
  name): annotated DICOM series with ``TRUTH.csv`` and masks (:func:`lungview.training.lesion_model.run_training`).

An option of the other family is refused with a message, never silently dropped.
"""

import argparse
import sys
from pathlib import Path

HELP = "train, calibrate and ship a model (writes weights/<id>/ with card and report)"

CLASSIFIER_LAYOUTS = ("chest-ct-4class", "iqothnccd")
LESION_LAYOUT = "real-ct-lesions"
#: Layout names kept working after a rename, with the name that replaced them.
DEPRECATED_LAYOUTS = {"real-ct-tumour": LESION_LAYOUT}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dataset",
        choices=[*CLASSIFIER_LAYOUTS, LESION_LAYOUT, *DEPRECATED_LAYOUTS],
        help="which data set layout (real-ct-lesions: DICOM series with TRUTH.csv and masks -> ct-lesion-seg; "
        "real-ct-tumour is its deprecated name)",
    )
    parser.add_argument("data_root", type=Path, help="the data set folder (e.g. ../shared/data/chest-ct-4class)")
    parser.add_argument("--model-id", required=True, help="folder name under the weights folder, e.g. ct-subtype-4")
    parser.add_argument("--weights-dir", type=Path, default=None, help="where to write (default: the app's weights/)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="keep the cached features (trunk activations; encoder features for real-ct-lesions) here and reuse them",
    )
    group = parser.add_argument_group("slice classifiers only (chest-ct-4class, iqothnccd)")
    parser.set_defaults(classifier_options=_add_classifier_arguments(group.add_argument))


def _add_classifier_arguments(add) -> dict[str, tuple[str, object]]:
    """Add the slice-classifier options with ``add``; returns ``{dest: (flag, default)}`` so that
    ``real-ct-lesions`` can refuse them."""
    actions = [
        add("--architecture", default="efficientnet-lite0",
            help="efficientnet-lite0 (default), mobilenet_v2, resnet18, resnet50, tiny-cnn"),
        add("--size", type=int, nargs="+", default=[224],
            help="network input side in pixels; several sides train one network each and ship their resolution "
            "ensemble (mean logits)"),
        add("--seeds", type=int, nargs="+", default=[0, 1, 2], help="stage-1 seeds (best on validation is kept)"),
        add("--views", type=int, default=4, help="cached views per training image (1 plain + augmented)"),
        add("--stage1-epochs", type=int, default=300, help="most stage-1 epochs (early stopping, patience 40)"),
        add("--no-stage2", action="store_true", help="skip fine-tuning the top blocks"),
        add("--stage2-epochs", type=int, default=12, help="most stage-2 epochs (early stopping, patience 4)"),
        add("--top-start", type=int, default=None,
            help="first block fine-tuned in stage 2 (default: the backbone's, 16 for efficientnet-lite0)"),
        add("--stage2-lr", type=float, default=None, help="stage-2 learning rate (default 1e-4)"),
        add("--stage2-schedule", choices=["constant", "cosine"], default=None,
            help="stage-2 learning-rate schedule (default constant)"),
        add("--seed-merge", choices=["best", "average"], default=None,
            help="keep the best stage-1 seed or average all seeds' heads"),
        add("--calibration-folds", type=int, default=0,
            help="fit the temperature on out-of-fold training logits from K refits plus validation "
            "(default 0: validation only)"),
        add("--model-version", default="1.0", help="version written to the model card"),
        add("--max-images", type=int, default=None, help="cut every split to N images (smoke runs)"),
        add("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95 %% intervals"),
    ]  # fmt: skip
    return {action.dest: (action.option_strings[0], action.default) for action in actions}


def given_classifier_options(args: argparse.Namespace) -> list[str]:
    """The slice-classifier options set to something other than their default, as typed (``--size``)."""
    return [flag for dest, (flag, default) in args.classifier_options.items() if getattr(args, dest) != default]


def run(args: argparse.Namespace) -> int:
    if args.dataset in DEPRECATED_LAYOUTS:
        replacement = DEPRECATED_LAYOUTS[args.dataset]
        print(f"lungview train: {args.dataset!r} is deprecated; use {replacement!r}", file=sys.stderr)
        args.dataset = replacement
    if not args.data_root.is_dir():
        print(f"lungview train: no data set folder at {args.data_root}", file=sys.stderr)
        return 2
    if args.dataset == LESION_LAYOUT:
        return _train_lesion_model(args)
    return _train_slice_classifier(args)


def _weights_dir(args: argparse.Namespace) -> Path:
    from lungview import paths

    return args.weights_dir or paths.weights_dir()


def _train_lesion_model(args: argparse.Namespace) -> int:
    """``real-ct-lesions``: every option it takes reaches the trainer; a slice-classifier option is refused."""
    refused = given_classifier_options(args)
    if refused:
        print(f"lungview train {LESION_LAYOUT}: {', '.join(refused)} apply to the slice classifiers only")
        return 2
    from lungview.training.lesion_model import run_training

    return run_training(args.data_root, _weights_dir(args), args.model_id, cache_dir=args.cache_dir)


def _train_slice_classifier(args: argparse.Namespace) -> int:
    """``chest-ct-4class`` / ``iqothnccd``: train, print the held-out scores, write the model and its report."""
    import dataclasses
    import logging

    from tqdm import tqdm

    from lungview.training.pipeline import TrainConfig, train_model
    from lungview.training.report import write_report

    logging.getLogger("lungview").setLevel(logging.INFO)
    defaults = TrainConfig(dataset=args.dataset, data_root=args.data_root, model_id=args.model_id, output_dir=Path("."))
    config = dataclasses.replace(
        defaults,
        output_dir=_weights_dir(args),
        architecture=args.architecture,
        sizes=tuple(sorted(set(args.size))),
        seeds=tuple(args.seeds),
        views=args.views,
        stage1=dataclasses.replace(defaults.stage1, epochs=args.stage1_epochs),
        stage2=None
        if args.no_stage2
        else dataclasses.replace(
            defaults.stage2,
            epochs=args.stage2_epochs,
            learning_rate=args.stage2_lr or defaults.stage2.learning_rate,
            schedule=args.stage2_schedule or defaults.stage2.schedule,
        ),
        max_images=args.max_images,
        top_start=args.top_start,
        seed_merge=args.seed_merge or defaults.seed_merge,
        cache_dir=args.cache_dir,
        calibration_folds=args.calibration_folds,
        version=args.model_version,
    )
    try:
        result = train_model(config, progress=lambda items: tqdm(items, leave=False, mininterval=5))
    except ValueError as error:
        print(f"lungview train: {error}")
        return 2
    folder = config.output_dir / config.model_id
    for part, scores in result.card.training["temperature_fit"]["scores"].items():
        print(
            f"held-out {part} ({scores['images']} images): "
            f"accuracy {scores['accuracy']:.3f}, macro-F1 {scores['macro_f1']:.3f}"
        )
    write_report(folder, args.data_root, result.split, result.audit, training=result, resamples=args.bootstrap)
    print(f"saved {folder} (sha256 {result.card.sha256[:12]}…); report in {folder / 'report'}")
    return 0
