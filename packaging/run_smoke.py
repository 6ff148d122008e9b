"""Run ``lungview smoke-test`` on a built (or installed, or source) LungView with networking unavailable, and time it.

    python packaging/run_smoke.py PATH/TO/LungView --out DIR [--cold]

The network is taken away by the operating system where it can be: ``unshare -n`` (an empty network namespace)
on Linux, ``sandbox-exec`` with a deny-network profile on macOS. Everywhere, the smoke test itself blocks and
records Python-level network use. The cold-start times count from just before the process is launched.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MACOS_NO_NETWORK_PROFILE = "(version 1)(allow default)(deny network*)"


@dataclass(frozen=True)
class SmokeOutcome:
    """What one smoke run showed: seconds from launch to the first image, result and overlay, and its report."""

    first_image_s: float
    first_result_s: float
    first_overlay_s: float
    total_s: float
    isolation: str
    report: dict
    modules: list[str]


class SmokeError(Exception):
    """The smoke run failed; the message says how."""


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def isolation_prefix(platform: str = sys.platform) -> tuple[list[str], str]:
    """Command prefix that runs a program without network access on ``platform``, and a description of it."""
    if platform.startswith("linux") and shutil.which("unshare"):
        for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
            if _works([*prefix, "true"]):
                return prefix, f"{' '.join(prefix)} (empty network namespace) + in-app socket guard"
    if platform == "darwin" and shutil.which("sandbox-exec"):
        prefix = ["sandbox-exec", "-p", MACOS_NO_NETWORK_PROFILE]
        if _works([*prefix, "true"]):
            return prefix, "sandbox-exec deny network* + in-app socket guard"
    return [], "in-app socket guard only (no OS-level network isolation available)"


def evict_from_page_cache(folder: Path) -> bool:
    """Ask the kernel to drop ``folder``'s files from the page cache so the next start reads them from disk.

    Only the bundle's own files are evicted (``posix_fadvise``; no root needed). Returns False where unsupported.
    """
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def run_smoke(
    command: list[str],
    out_dir: Path,
    timeout: float,
    extra_args: tuple[str, ...] = (),
    extra_environment: dict[str, str] | None = None,
) -> SmokeOutcome:
    """Run ``command smoke-test --out out_dir [extra_args]`` offscreen and offline; SmokeError unless it passed.

    ``command`` starts LungView: the bundle's executable, or ``[python, -m, lungview]`` for a source tree.
    ``extra_environment`` is added to the environment (``LUNGVIEW_BACKEND`` picks the inference back end).
    """
    if shutil.which(command[0]) is None:
        raise SmokeError(f"the app was not found at {command[0]} (or it is not executable)")
    prefix, isolation = isolation_prefix()
    out_dir.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(extra_environment or {})}
    full_command = [*prefix, *command, "smoke-test", "--out", str(out_dir), "--timeout", str(timeout), *extra_args]
    launched_at = time.time()
    try:
        finished = subprocess.run(full_command, env=environment, capture_output=True, text=True, timeout=timeout * 2)
    except subprocess.TimeoutExpired:
        raise SmokeError(f"the smoke test did not finish within {timeout * 2:g} s") from None
    except OSError as error:
        raise SmokeError(f"the app could not be started ({error})") from None
    report_path = out_dir / "smoke.json"
    if not report_path.is_file():
        raise SmokeError(f"the smoke test wrote no report (exit {finished.returncode}):\n{finished.stderr[-4000:]}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    if finished.returncode != 0 or "failure" in report:
        details = report.get("traceback") or finished.stderr[-4000:]
        raise SmokeError(f"{report.get('failure', f'exit status {finished.returncode}')}\n{details}")
    modules = (out_dir / "app-modules.txt").read_text(encoding="utf-8").split()
    return SmokeOutcome(
        first_image_s=report["first_image_at"] - launched_at,
        first_result_s=report["first_result_at"] - launched_at,
        first_overlay_s=report["first_overlay_at"] - launched_at,
        total_s=report["finished_at"] - launched_at,
        isolation=isolation,
        report=report,
        modules=modules,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("executable", type=Path, help="LungView executable (inside the bundle or installed)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the smoke test's report and screenshot")
    parser.add_argument("--cold", action="store_true", help="evict the bundle from the page cache first (Linux)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per step")
    args = parser.parse_args(argv)
    if args.cold:
        evict_from_page_cache(args.executable.resolve().parent)
    try:
        outcome = run_smoke([str(args.executable)], args.out, args.timeout)
    except SmokeError as error:
        print(f"smoke test FAILED: {error}", file=sys.stderr)
        return 1
    print(
        f"smoke test passed ({outcome.isolation}): first image {outcome.first_image_s:.2f} s, "
        f"first result {outcome.first_result_s:.2f} s, Grad-CAM overlay {outcome.first_overlay_s:.2f} s after launch"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
