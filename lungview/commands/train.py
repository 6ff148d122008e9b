"""``lungview train``: audit a data set, train a classifier in two stages, calibrate it and ship it with a report."""

import argparse
from pathlib import Path

HELP = "train, calibrate and ship a slice classifier (writes weights/<id>/ with card and report)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "dataset",
        choices=["chest-ct-4class", "iqothnccd", "real-ct-tumour"],
        help="which data set layout (real-ct-tumour: DICOM series with TRUTH.csv -> ct-tumour-slice)",
    )
    parser.add_argument("data_root", type=Path, help="the data set folder (e.g. ../shared/data/chest-ct-4class)")
    parser.add_argument("--model-id", required=True, help="folder name under the weights folder, e.g. ct-subtype-4")
    parser.add_argument("--weights-dir", type=Path, default=None, help="where to write (default: the app's weights/)")
    parser.add_argument("--architecture", default="efficientnet-lite0", help="efficientnet-lite0 (default), mobilenet_v2, resnet18, resnet50, tiny-cnn")
    parser.add_argument("--size", type=int, nargs="+", default=[224],
                        help="network input side in pixels; several sides train one network each and ship their resolution ensemble (mean logits)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="stage-1 seeds (best on validation is kept)")
    parser.add_argument("--views", type=int, default=4, help="cached views per training image (1 plain + augmented)")
    parser.add_argument("--stage1-epochs", type=int, default=300, help="most stage-1 epochs (early stopping, patience 40)")
    parser.add_argument("--no-stage2", action="store_true", help="skip fine-tuning the top blocks")
    parser.add_argument("--stage2-epochs", type=int, default=12, help="most stage-2 epochs (early stopping, patience 4)")
    parser.add_argument("--top-start", type=int, default=None, help="first block fine-tuned in stage 2 (default: the backbone's, 16 for efficientnet-lite0)")
    parser.add_argument("--stage2-lr", type=float, default=None, help="stage-2 learning rate (default 1e-4)")
    parser.add_argument("--stage2-schedule", choices=["constant", "cosine"], default=None, help="stage-2 learning-rate schedule (default constant)")
    parser.add_argument("--seed-merge", choices=["best", "average"], default=None, help="keep the best stage-1 seed or average all seeds' heads")
    parser.add_argument("--calibration-folds", type=int, default=0, help="fit the temperature on out-of-fold training logits from K refits plus validation (default 0: validation only)")
    parser.add_argument("--model-version", default="1.0", help="version written to the model card")
    parser.add_argument("--cache-dir", type=Path, default=None, help="keep the cached trunk activations here and reuse them")
    parser.add_argument("--max-images", type=int, default=None, help="cut every split to N images (smoke runs)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95 %% intervals")


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import logging

    from tqdm import tqdm

    from lungview import paths
    from lungview.training.fit import StageSettings
    from lungview.training.pipeline import TrainConfig, train_model
    from lungview.training.report import write_report

    if not args.data_root.is_dir():
        print(f"lungview train: no data set folder at {args.data_root}")
        return 2
    if args.dataset == "real-ct-tumour":
        from lungview.training.tumour_slice import run_training

        return run_training(args.data_root, args.weights_dir or paths.weights_dir(), args.model_id)
    logging.getLogger("lungview").setLevel(logging.INFO)
    defaults = TrainConfig(dataset=args.dataset, data_root=args.data_root, model_id=args.model_id, output_dir=Path("."))
    config = dataclasses.replace(
        defaults,
        output_dir=args.weights_dir or paths.weights_dir(),
        architecture=args.architecture,
        sizes=tuple(sorted(set(args.size))),
        seeds=tuple(args.seeds),
        views=args.views,
        stage1=dataclasses.replace(defaults.stage1, epochs=args.stage1_epochs),
        stage2=None if args.no_stage2 else dataclasses.replace(
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
        print(f"held-out {part} ({scores['images']} images): accuracy {scores['accuracy']:.3f}, macro-F1 {scores['macro_f1']:.3f}")
    write_report(folder, args.data_root, result.split, result.audit, training=result, resamples=args.bootstrap)
    print(f"saved {folder} (sha256 {result.card.sha256[:12]}…); report in {folder / 'report'}")
    return 0
