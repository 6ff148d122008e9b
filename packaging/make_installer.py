"""Wrap a built bundle for installation: an Inno Setup installer on Windows, a DMG disk image on macOS.

    python packaging/make_installer.py --dist-dir DIR [--out-dir DIR]

Sign the bundle before this step and the installer or disk image after it (the CI workflow does both when its
signing secrets exist).
"""

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import bundle_contents as contents

PACKAGING_DIR = Path(__file__).resolve().parent


class InstallerError(Exception):
    """The installer could not be made; the message says why."""


def inno_setup_command(iscc: str, app_version: str, bundle: Path, out_dir: Path) -> list[str]:
    """The ``iscc`` command line that compiles packaging/lungview.iss for ``bundle``."""
    return [
        iscc,
        f"/DAppVersion={app_version}",
        f"/DSourceDir={bundle}",
        f"/DOutputDir={out_dir}",
        str(PACKAGING_DIR / "lungview.iss"),
    ]


def dmg_name(app_version: str, machine: str) -> str:
    """File name of the macOS disk image, e.g. ``LungView-0.1.0-macos-arm64.dmg``."""
    return f"{contents.APP_NAME}-{app_version}-macos-{machine}.dmg"


def make_windows_installer(bundle: Path, out_dir: Path, app_version: str) -> Path:
    """Compile the Inno Setup installer for ``bundle`` into ``out_dir``; returns its path."""
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    default_iscc = Path("C:/Program Files (x86)/Inno Setup 6/ISCC.exe")
    if iscc is None and default_iscc.is_file():
        iscc = str(default_iscc)
    if iscc is None:
        raise InstallerError("Inno Setup's iscc was not found (install Inno Setup 6, e.g. 'choco install innosetup')")
    subprocess.run(inno_setup_command(iscc, app_version, bundle, out_dir), check=True)
    return out_dir / f"{contents.APP_NAME}-{app_version}-windows-x64-setup.exe"


def make_dmg(app: Path, out_dir: Path, app_version: str, machine: str) -> Path:
    """A compressed disk image holding ``LungView.app`` and a link to /Applications to drag it onto."""
    dmg = out_dir / dmg_name(app_version, machine)
    with tempfile.TemporaryDirectory() as staging:
        staging_dir = Path(staging)
        subprocess.run(["ditto", str(app), str(staging_dir / app.name)], check=True)
        (staging_dir / "Applications").symlink_to("/Applications")
        subprocess.run(
            ["hdiutil", "create", "-volname", contents.APP_NAME, "-srcfolder", str(staging_dir),
             "-fs", "HFS+", "-format", "UDZO", "-ov", str(dmg)],
            check=True,
        )  # fmt: skip
    return dmg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist-dir", type=Path, required=True, help="PyInstaller's dist folder (holds the bundle)")
    parser.add_argument("--out-dir", type=Path, help="where the installer goes (default: the dist folder)")
    args = parser.parse_args(argv)
    out_dir = args.out_dir or args.dist_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    app_version = version(contents.DISTRIBUTION)
    try:
        if sys.platform == "win32":
            made = make_windows_installer(args.dist_dir / contents.APP_NAME, out_dir, app_version)
        elif sys.platform == "darwin":
            made = make_dmg(args.dist_dir / f"{contents.APP_NAME}.app", out_dir, app_version, platform.machine())
        else:
            raise InstallerError(
                "installers are made on Windows (Inno Setup) and macOS (DMG); ship the Linux folder as a tarball"
            )
    except (InstallerError, subprocess.CalledProcessError) as error:
        print(f"installer FAILED: {error}", file=sys.stderr)
        return 1
    print(made)
    return 0


if __name__ == "__main__":
    sys.exit(main())
