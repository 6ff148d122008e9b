"""Run dicom3tools' ``dciodvfy`` on a file and return its error lines (skips the test when it is not installed)."""

import shutil
import subprocess
from pathlib import Path

import pytest


def dciodvfy_errors(path: str | Path) -> list[str]:
    """The ``Error`` lines dciodvfy prints for ``path``; skips the calling test when dciodvfy is absent."""
    tool = shutil.which("dciodvfy")
    if tool is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed")
    completed = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    lines = (completed.stdout + completed.stderr).splitlines()
    return [line for line in lines if line.startswith("Error")]
