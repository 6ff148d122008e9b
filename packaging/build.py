"""Build LungView's one-folder bundle for this operating system, then smoke-test it offline; fail on any error.

    python packaging/build.py [--backend torch|onnx] [--work-dir DIR] [--dist-dir DIR] [--max-size-mb N]

Steps: (1) the smoke test from the source tree, which records the real import graph and must not import anything
the spec excludes; (2) PyInstaller with packaging/lungview.spec, trimmed to that graph; (3) the smoke test of the
built app with networking unavailable, once after evicting the bundle from the page cache (a cold start) and
once more (a warm start); (4) the bundle's size, by top-level folder. ``build-report.json`` in the dist folder
holds the numbers. Exit status 0 only when every step passed (and the size is within ``--max-size-mb``).

``--backend onnx`` builds the app without PyTorch: first each model's ONNX file is exported (this needs torch at
build time) into a staged copy of ``weights/``, which the source smoke test (step 1, run with
``LUNGVIEW_BACKEND=onnx``) and the bundle use; step 1 also runs the source tree's PyTorch back end, and the build
fails unless the bundle's probabilities on the smoke slice are within 1e-4 of it.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bundle_contents as contents
import run_smoke

PACKAGING_DIR = Path(__file__).resolve().parent
SPEC_FILE = PACKAGING_DIR / "lungview.spec"
DEFAULT_ROOT = Path(tempfile.gettempdir()) / "lungview-build"
MEGABYTE = 1024 * 1024
#: Largest difference allowed between the bundle's probabilities and the source tree's PyTorch back end's
#: (ONNX backend; the same tolerance as the ONNX export check).
PROBABILITY_TOLERANCE = 1e-4


class BuildError(Exception):
    """A build step failed; the message says which and why."""


def bundle_folder(dist_dir: Path, platform: str = sys.platform) -> Path:
    """The folder to ship: ``LungView.app`` on macOS, ``LungView/`` elsewhere."""
    return dist_dir / (f"{contents.APP_NAME}.app" if platform == "darwin" else contents.APP_NAME)


def bundle_executable(dist_dir: Path, platform: str = sys.platform) -> Path:
    """The windowed executable inside the bundle."""
    if platform == "darwin":
        return bundle_folder(dist_dir, platform) / "Contents" / "MacOS" / contents.APP_NAME
    suffix = ".exe" if platform == "win32" else ""
    return bundle_folder(dist_dir, platform) / f"{contents.APP_NAME}{suffix}"


def folder_size(folder: Path) -> int:
    """Bytes in the regular files under ``folder`` (symbolic links not followed or counted)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def size_breakdown(bundle: Path, depth_of: dict[str, int] | None = None) -> dict[str, int]:
    """Bytes per top-level entry of the bundle's contents, largest first (``nvidia`` split one level further)."""
    depth_of = depth_of if depth_of is not None else {"nvidia": 2}
    sizes: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        parts = path.relative_to(bundle).parts
        if parts[0] in ("_internal", "Contents") and len(parts) > 1:
            parts = parts[1:]
            if parts[0] in ("Frameworks", "Resources", "MacOS") and len(parts) > 1:
                parts = parts[1:]
        key = "/".join(parts[: depth_of.get(parts[0], 1)])
        sizes[key] = sizes.get(key, 0) + path.stat().st_size
    return dict(sorted(sizes.items(), key=lambda item: item[1], reverse=True))


def check_import_graph(modules: list[str], backend: str) -> None:
    """BuildError when the real import graph contains a module that the spec would exclude."""
    missing = contents.excluded_but_imported(set(modules), contents.excludes_for(backend))
    if missing:
        raise BuildError(
            "the app imports modules that the spec excludes (remove them from packaging/bundle_contents.py "
            f"or stop importing them): {', '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}"
        )


def check_same_backend(source_backend: str, bundle_backends: list[str]) -> None:
    """BuildError when the bundle computes probabilities with another back end than the source tree (a part of
    the ONNX Runtime fast path was left out, and the app fell back to PyTorch)."""
    different = sorted(set(bundle_backends) - {source_backend})
    if different:
        raise BuildError(f"the bundle classified with {', '.join(different)}, the source tree with {source_backend}")


def probability_difference(bundle_result: dict, reference_result: dict) -> float:
    """Largest absolute difference between two smoke results' probabilities; BuildError when they classified
    different models or slices."""
    for key in ("model", "slice_index"):
        if bundle_result[key] != reference_result[key]:
            raise BuildError(
                f"the bundle and the reference smoke test differ in {key}: "
                f"{bundle_result[key]} vs {reference_result[key]}"
            )
    expected = reference_result["probabilities"]
    return max(abs(probability - expected[name]) for name, probability in bundle_result["probabilities"].items())


def run_pyinstaller(backend: str, app_modules: Path, work_dir: Path, dist_dir: Path, weights_dir: Path) -> None:
    """Run PyInstaller on the spec; BuildError with the end of its log when it fails."""
    command = [
        sys.executable, "-m", "PyInstaller", str(SPEC_FILE), "--noconfirm",
        "--workpath", str(work_dir), "--distpath", str(dist_dir),
        "--", "--backend", backend, "--app-modules", str(app_modules), "--weights-dir", str(weights_dir),
    ]  # fmt: skip
    log_path = work_dir / "pyinstaller.log"
    work_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=contents.REPO_ROOT).returncode
    if status != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise BuildError(f"PyInstaller failed (exit {status}); log {log_path}:\n{tail}")


def smoke_bundle(executable: Path, bundle: Path, out_dir: Path, timeout: float, extra_args: tuple[str, ...]) -> dict:
    """Timings of the built app: a cold start (``bundle`` evicted from the page cache, where possible), then warm."""
    timings = {}
    for name in ("cold", "warm"):
        if name == "cold" and not run_smoke.evict_from_page_cache(bundle):
            continue
        outcome = run_smoke.run_smoke([str(executable)], out_dir / name, timeout, extra_args)
        timings[name] = {
            "first_image_s": round(outcome.first_image_s, 2),
            "first_result_s": round(outcome.first_result_s, 2),
            "first_overlay_s": round(outcome.first_overlay_s, 2),
            "isolation": outcome.isolation,
            "result": outcome.report.get("result"),
        }
    return timings


def build(args: argparse.Namespace) -> dict:
    """All steps; the build report. BuildError or run_smoke.SmokeError on failure."""
    report: dict = {"backend": args.backend, "platform": sys.platform}
    smoke_args = ("--weights-dir", str(args.smoke_weights_dir)) if args.smoke_weights_dir else ()
    if smoke_args:
        report["smoke_weights_dir"] = str(args.smoke_weights_dir)
    started = time.monotonic()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    bundled_weights = contents.REPO_ROOT / "weights"
    torch_args, source_environment = smoke_args, {}
    if args.backend == "onnx":
        from lungview.training.onnx_export import stage_onnx_weights  # needs torch: at build time only

        print("0/4 exporting each model's ONNX file ...", flush=True)
        stage_onnx_weights(bundled_weights, args.work_dir / "onnx-weights")
        bundled_weights = args.work_dir / "onnx-weights"
        if args.smoke_weights_dir:
            stage_onnx_weights(args.smoke_weights_dir, args.work_dir / "onnx-smoke-weights")
            smoke_args = ("--weights-dir", str(args.work_dir / "onnx-smoke-weights"))
        source_environment = {"LUNGVIEW_BACKEND": "onnx"}
    print("1/4 smoke test from the source tree (records the real import graph) ...", flush=True)
    source_command = [sys.executable, "-m", "lungview"]
    source_args = smoke_args or ("--weights-dir", str(bundled_weights))
    source_dir = args.work_dir / "source-smoke"
    source = run_smoke.run_smoke(source_command, source_dir, args.timeout, source_args, source_environment)
    check_import_graph(source.modules, args.backend)
    if args.backend == "onnx":  # the reference for the bundle's probabilities: the PyTorch back end, same slice
        torch_dir = args.work_dir / "source-smoke-torch"
        torch_run = run_smoke.run_smoke(
            source_command, torch_dir, args.timeout, torch_args, {"LUNGVIEW_BACKEND": "torch"}
        )
        report["torch_reference"] = {"first_result_s": round(torch_run.first_result_s, 2), **torch_run.report["result"]}
    app_modules = args.work_dir / "app-modules.txt"
    app_modules.write_text("\n".join(source.modules) + "\n", encoding="utf-8")
    source_backend = source.report["result"]["backend"]
    report["source_smoke"] = {
        "first_image_s": round(source.first_image_s, 2),
        "first_result_s": round(source.first_result_s, 2),
        "backend": source_backend,
    }

    print(f"2/4 PyInstaller ({args.backend} backend; log in {args.work_dir / 'pyinstaller.log'}) ...", flush=True)
    run_pyinstaller(args.backend, app_modules, args.work_dir, args.dist_dir, bundled_weights)
    report["build_s"] = round(time.monotonic() - started, 1)

    executable, bundle = bundle_executable(args.dist_dir), bundle_folder(args.dist_dir)
    print(f"3/4 smoke test of {executable} without network ...", flush=True)
    report["bundle_smoke"] = smoke_bundle(executable, bundle, args.work_dir / "bundle-smoke", args.timeout, smoke_args)
    check_same_backend(source_backend, [run["result"]["backend"] for run in report["bundle_smoke"].values()])
    if args.backend == "onnx":
        runs = report["bundle_smoke"].values()
        difference = max(probability_difference(run["result"], report["torch_reference"]) for run in runs)
        report["max_probability_difference_vs_torch"] = difference
        if difference > PROBABILITY_TOLERANCE:
            raise BuildError(
                f"the bundle's probabilities differ from PyTorch's by {difference:.2e} (> {PROBABILITY_TOLERANCE:g})"
            )

    print("4/4 size ...", flush=True)
    total = folder_size(bundle)
    report["bundle"] = str(bundle)
    report["size_mb"] = round(total / MEGABYTE, 1)
    report["size_by_folder_mb"] = {key: round(size / MEGABYTE, 1) for key, size in size_breakdown(bundle).items()}
    if args.max_size_mb and total > args.max_size_mb * MEGABYTE:
        raise BuildError(f"the bundle is {total / MEGABYTE:.0f} MB, over the limit of {args.max_size_mb} MB")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=contents.BACKENDS, default="torch", help="inference back end to bundle")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_ROOT / "work", help="PyInstaller's build folder")
    parser.add_argument("--dist-dir", type=Path, default=DEFAULT_ROOT / "dist", help="where the bundle is written")
    parser.add_argument("--max-size-mb", type=float, help="fail when the bundle is larger (CI: 700 on Windows/macOS)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per smoke-test step")
    parser.add_argument(
        "--smoke-weights-dir",
        type=Path,
        help="models folder for the smoke tests instead of the bundled weights/ (only to try the packaging before "
        "models are shipped; the report says so)",
    )
    args = parser.parse_args(argv)
    try:
        report = build(args)
    except (BuildError, run_smoke.SmokeError) as error:
        print(f"BUILD FAILED: {error}", file=sys.stderr)
        return 1
    args.dist_dir.mkdir(parents=True, exist_ok=True)
    (args.dist_dir / "build-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps({key: value for key, value in report.items() if key != "size_by_folder_mb"}, indent=2))
    print("largest parts (MB):", ", ".join(f"{k} {v}" for k, v in list(report["size_by_folder_mb"].items())[:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
