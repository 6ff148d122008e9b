"""The ``lungview`` command line: argparse subcommands, logging set-up.

Each subcommand lives in ``lungview.commands.<name>`` with ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; those modules import heavy libraries (Qt, torch) inside ``run`` only, so ``--help`` and
``scan`` stay fast. ``lungview [PATH]`` without a subcommand starts the viewer.
"""

import argparse
import importlib
import logging
import sys

from lungview import __version__

#: Packages the torch-free (ONNX Runtime) build leaves out; a command that needs one says so instead of crashing.
TORCH_PACKAGES = frozenset({"torch", "torchvision", "pytorch_grad_cam", "efficientnet_lite_pytorch"})

#: Subcommand name -> module under ``lungview.commands`` (a module name cannot contain "-").
COMMANDS: dict[str, str] = {
    "view": "view",
    "screenshot": "screenshot",
    "scan": "scan",
    "smoke-test": "smoke",
    "report": "report",
    "predict": "predict",
    "detect": "detect",
    "train": "train",
    "evaluate": "evaluate",
    "export-onnx": "export_onnx",
    "bench": "bench",
    "triage": "triage",
}

DEFAULT_COMMAND = "view"


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="lungview",
        description="Offline chest-CT viewer with an AI second reader. "
        "Research and education. A second reader, not a diagnosis.",
    )
    parser.add_argument("--version", action="version", version=f"lungview {__version__}")
    parser.add_argument("--debug", action="store_true", help="log debug messages (never patient data)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"lungview.commands.{module_name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def _with_default_command(argv: list[str]) -> list[str]:
    """Insert the viewer command when the first word is not a subcommand (``lungview PATH``)."""
    first_positional = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    leading = argv if first_positional is None else argv[:first_positional]
    global_flags_only = all(word == "--debug" for word in leading)
    if not global_flags_only:
        return argv
    if first_positional is None:
        return [*argv, DEFAULT_COMMAND]
    if argv[first_positional] in COMMANDS:
        return argv
    return [*argv[:first_positional], DEFAULT_COMMAND, *argv[first_positional:]]


def configure_logging(debug: bool) -> None:
    """Log to stderr. Messages name counts, UIDs' hashes and reasons, never patient identifiers."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(_with_default_command(argv))
    configure_logging(args.debug)
    try:
        return int(args.run(args) or 0)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in TORCH_PACKAGES:
            raise
        print(
            f"lungview {args.command}: this installation has no PyTorch ({error.name} is missing); the viewer, "
            "scan, predict, report and screenshot work with ONNX Runtime, but this command needs the full "
            "installation with PyTorch (README, Quick start)",
            file=sys.stderr,
        )
        return 2
