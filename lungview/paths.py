"""Where LungView's bundled files live: a source checkout, an installed package or a frozen bundle."""

import os
import sys
from pathlib import Path


def app_root() -> Path:
    """Folder that holds ``resources/`` and ``weights/``.

    In a PyInstaller bundle that is ``sys._MEIPASS``; otherwise the repository root beside the package.
    """
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    """Bundled resources (sample series, icons)."""
    return app_root() / "resources"


def weights_dir() -> Path:
    """Shipped model weights with their model cards and reports."""
    return app_root() / "weights"


def sample_series_dir() -> Path:
    """The bundled real chest-CT sample series (Lung-PET-CT-Dx A0001, CC BY 4.0)."""
    return resources_dir() / "sample-series"


def user_data_dir() -> Path:
    """Per-user writable folder (findings database, logs, ONNX cache); created on first use.

    On Linux the XDG base directory rule: ``$XDG_DATA_HOME`` when it is an absolute path, else ``~/.local/share``.
    """
    xdg_data_home = os.environ.get("XDG_DATA_HOME", "")
    if sys.platform == "win32":
        base = Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.path.isabs(xdg_data_home):
        base = Path(xdg_data_home)
    else:
        base = Path.home() / ".local" / "share"
    folder = base / "LungView"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
