"""File menu helpers: choose a folder or files to open, and the list of folders opened lately (in the settings)."""

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

MAX_RECENT_FOLDERS = 8
OPEN_FILES_FILTER = "DICOM and images (*.dcm *.DCM *.dicom *.ima *.png *.jpg *.jpeg DICOMDIR);;All files (*)"


def choose_folder(parent: QWidget) -> list[str]:
    """Ask for a DICOM folder: ``[folder]``, or ``[]`` when the user cancels."""
    folder = QFileDialog.getExistingDirectory(parent, "Open DICOM folder")
    return [folder] if folder else []


def choose_files(parent: QWidget) -> list[str]:
    """Ask for DICOM files, a DICOMDIR or pictures; ``[]`` when the user cancels."""
    files, _ = QFileDialog.getOpenFileNames(parent, "Open files", "", OPEN_FILES_FILTER)
    return list(files)


def recent_folders(settings: QSettings) -> list[str]:
    """Folders opened lately, newest first."""
    value = settings.value("recent_folders", [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-element list in INI files
        value = [value]
    return [str(entry) for entry in value or []]


def remember_recent(settings: QSettings, paths: list[str]) -> None:
    """Put the folder of ``paths`` (the first path, or its folder for a file) first in the recent folders."""
    first = Path(paths[0])
    folder = str(first if first.is_dir() else first.parent)
    recent = [folder] + [entry for entry in recent_folders(settings) if entry != folder]
    settings.setValue("recent_folders", recent[:MAX_RECENT_FOLDERS])
