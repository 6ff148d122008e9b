"""How the commands answer: a JSON document on standard output, an input error on standard error with status 2."""

import argparse
import json
import sys
from collections.abc import Callable

INPUT_ERROR = 2
"""Exit status of a command whose input (paths, options) it cannot use."""


def print_json(document: dict) -> None:
    """Write ``document`` to standard output as indented JSON and a final newline."""
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def input_error(command: str, error: object) -> int:
    """Say ``lungview COMMAND: error`` on standard error; return :data:`INPUT_ERROR` for the command to exit with."""
    print(f"lungview {command}: {error}", file=sys.stderr)
    return INPUT_ERROR


def answer(
    command: str,
    args: argparse.Namespace,
    build: Callable[[argparse.Namespace], dict],
    input_errors: type[Exception],
    write: Callable[[dict], None],
) -> int:
    """Build the command's document from ``args`` and ``write`` it (exit status 0), or say why the input cannot
    be used (one of ``input_errors``) and return :data:`INPUT_ERROR`."""
    try:
        document = build(args)
    except input_errors as error:
        return input_error(command, error)
    write(document)
    return 0
