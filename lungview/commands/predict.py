"""``lungview predict PATH [--model ID] [--slices all|i,j,...] [--cam] [--json | --csv]``: classify slices.

A public interface (README "AI second reader and ``lungview predict``"): the JSON keys and CSV columns stay stable.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

from lungview.commands.output import answer, print_json

HELP = "classify slices of a DICOM series, DICOM files or PNG/JPG pictures; JSON (default) or CSV on stdout"
CSV_COLUMNS = (
    "path",
    "series_uid",
    "index",
    "instance_number",
    "sop_instance_uid",
    "z",
    "predicted",
    "cancer_probability",
    "probabilities",
    "out_of_scope",
    "out_of_scope_reasons",
    "ood_score",
    "cam_peak_row",
    "cam_peak_col",
    "model",
    "flagged",
    "lesion_box",
)


class PredictInputError(ValueError):
    """Bad input to ``lungview predict``: the message says what to change."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="DICOM folder, DICOMDIR, files, or a folder of PNG/JPG"
    )
    parser.add_argument(
        "--model",
        metavar="ID",
        help="model id for every series (default: per series, ct-lesion-seg for DICOM CT, ct-subtype-4 for pictures)",
    )
    parser.add_argument(
        "--slices",
        default=None,
        metavar="all|i,j,...",
        help="slice indices from 0 in each sorted series, or 'all' (default: the middle slice of a DICOM series, "
        "every picture of a PNG/JPG folder)",
    )
    parser.add_argument("--cam", action="store_true", help="add cam_peak: [row, col] of the Grad-CAM maximum")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON document (the default)")
    output.add_argument("--csv", action="store_true", help="one CSV row per slice; skipped inputs go to stderr")
    parser.add_argument("--weights-dir", type=Path, metavar="DIR", help="models folder (default: the shipped weights/)")


def parse_slices(text: str | None) -> list[int] | str | None:
    """``None`` (the default choice), ``"all"`` or a list of indices from ``--slices``."""
    if text is None or text.strip().lower() == "all":
        return None if text is None else "all"
    try:
        indices = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise PredictInputError(f"--slices must be 'all' or indices such as 0,5,12 (got {text!r})") from None
    if not indices or min(indices) < 0:
        raise PredictInputError(f"--slices must list indices from 0 (got {text!r})")
    return indices


def chosen_indices(series, choice: list[int] | str | None) -> tuple[list[int], list[int]]:
    """Indices to classify in ``series`` and the requested ones that lie outside it."""
    count = len(series)
    if choice == "all":
        return list(range(count)), []
    if choice is None:
        is_picture_folder = not series.has_hu and not any(s.sop_instance_uid for s in series.slices)
        return (list(range(count)) if is_picture_folder else [count // 2]), []
    return [i for i in choice if i < count], [i for i in choice if i >= count]


def _record(series, analysis, peak, card, lesion_box) -> dict:
    slice_ref = series.slices[analysis.index]
    prediction = analysis.classification.prediction
    record = {
        "path": slice_ref.path,
        "series_uid": series.series_uid,
        "series_key": series.key,
        "index": analysis.index,
        "instance_number": slice_ref.instance_number,
        "sop_instance_uid": slice_ref.sop_instance_uid,
        "z": slice_ref.z,
        "model": card.id,
        "probabilities": prediction.probabilities,
        "cancer_probability": prediction.cancer_probability,
        "predicted": prediction.predicted,
        "flagged": prediction.cancer_probability >= card.threshold,
        "out_of_scope": {
            "flagged": bool(analysis.out_of_scope),
            "reasons": list(analysis.out_of_scope),
            "ood_score": analysis.classification.ood_score,
        },
        "lesion_box": list(lesion_box) if lesion_box is not None else None,
    }
    if peak is not None:
        record["cam_peak"] = list(peak)
    return record


def _analyses(classifier, series, store, indices):
    """Slice analyses of ``indices`` (index -> SliceAnalysis), decode failures, and the series' findings (or None)."""
    from lungview.inference.jobs import classify_slices
    from lungview.inference.series_analysis import find_lesions, finds_lesions, slice_from_lesions

    if finds_lesions(classifier, series):
        lesions = find_lesions(classifier, series, store)
        if lesions.not_evaluable:
            return {}, {}, lesions
        analyses = {i: a for i in indices if (a := slice_from_lesions(lesions, series, i, classifier.card)) is not None}
        failures = {i: store.failed(i) or "the slice could not be decoded" for i in indices if i not in analyses}
        return analyses, failures, lesions
    batch = classify_slices(classifier, store, indices)
    return batch.analyses, batch.failures, None


def predict(args: argparse.Namespace) -> dict:
    """Scan, classify (and explain) the slices the arguments ask for; the JSON-ready document.

    Each series gets its own model (``--model`` for all of them); non-image objects (SEG, RTDOSE, ...) are skipped.
    """
    from lungview.commands.model_loading import model_loader
    from lungview.dicom import DecodeError, SliceStore, scan_paths
    from lungview.inference.jobs import cam_for_slice
    from lungview.inference.series_analysis import attention_class, plan_series

    choice = parse_slices(args.slices)
    scan = scan_paths(args.paths)
    skipped = [{"path": s.path, "reason": s.reason} for s in scan.skipped]
    if not scan.series:
        reasons = "; ".join(f"{entry['path']}: {entry['reason']}" for entry in skipped[:5])
        raise PredictInputError(
            f"nothing could be read under {', '.join(args.paths)} ({len(skipped)} file(s) skipped: {reasons})"
        )
    available, load = model_loader(args.weights_dir, PredictInputError, reuse_export=True)
    plan = plan_series(scan.series, available, args.model)
    skipped += [{"path": s.path, "reason": s.reason} for s in plan.skipped]
    results, models = [], {}
    for series, model_id in plan.analysed:
        classifier = load(model_id)
        card = classifier.card
        models[card.id] = {**card.identity(), "threshold": card.threshold}
        indices, outside = chosen_indices(series, choice)
        folder = str(Path(series.slices[0].path).parent)
        last = len(series) - 1
        skipped += [{"path": folder, "reason": f"slice {i} is outside this series (0..{last})"} for i in outside]
        store = SliceStore(series, max_bytes=1024**3)
        analyses, failures, lesions = _analyses(classifier, series, store, indices)
        if lesions is not None and lesions.not_evaluable:
            skipped.append({"path": folder, "reason": f"not evaluable: {lesions.not_evaluable}"})
            continue
        skipped += [{"path": series.slices[i].path, "reason": reason} for i, reason in sorted(failures.items())]
        for index in indices:
            analysis = analyses.get(index)
            if analysis is None:
                continue
            peak = None
            if args.cam:
                try:
                    shown = attention_class(card, analysis.classification.prediction)
                    peak = cam_for_slice(classifier, series, index, store.load(index), shown).peak
                except DecodeError as error:
                    skipped.append({"path": series.slices[index].path, "reason": error.reason})
                    continue
            finding = lesions.best_covering(index) if lesions is not None else None
            results.append(_record(series, analysis, peak, card, finding.box_on(index) if finding else None))
    if not results:
        reasons = "; ".join(f"{entry['path']}: {entry['reason']}" for entry in skipped[:3])
        raise PredictInputError(
            f"no slice could be classified under {', '.join(args.paths)} ({len(skipped)} skipped: {reasons})"
        )
    first = next(iter(models.values()))
    model = {key: first[key] for key in ("id", "version", "sha256")}
    return {"model": model, "models": list(models.values()), "results": results, "skipped": skipped}


def write_csv(document: dict, stream) -> None:
    """One row per result (see :data:`CSV_COLUMNS`); probabilities as compact JSON."""
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in document["results"]:
        peak = record.get("cam_peak") or ["", ""]
        scope = record["out_of_scope"]
        writer.writerow(
            {
                **{key: record[key] for key in CSV_COLUMNS[:8]},
                "probabilities": json.dumps(record["probabilities"], separators=(",", ":")),
                "out_of_scope": int(scope["flagged"]),
                "out_of_scope_reasons": "; ".join(scope["reasons"]),
                "ood_score": "" if scope["ood_score"] is None else scope["ood_score"],
                "cam_peak_row": peak[0],
                "cam_peak_col": peak[1],
                "model": record["model"],
                "flagged": int(record["flagged"]),
                "lesion_box": json.dumps(record["lesion_box"]) if record["lesion_box"] else "",
            }
        )


def run(args: argparse.Namespace) -> int:
    return answer("predict", args, predict, PredictInputError, _write_csv_and_skipped if args.csv else print_json)


def _write_csv_and_skipped(document: dict) -> None:
    """The CSV on standard output, the skipped paths on standard error."""
    write_csv(document, sys.stdout)
    for entry in document["skipped"]:
        print(f"lungview predict: skipped {entry['path']}: {entry['reason']}", file=sys.stderr)
