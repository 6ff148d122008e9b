"""packaging/make_installer.py and packaging/lungview.iss agree on names and the defines they pass."""

import re
from pathlib import Path

import make_installer

ISS = (make_installer.PACKAGING_DIR / "lungview.iss").read_text(encoding="utf-8")


def test_inno_setup_command_passes_every_define_the_script_requires(tmp_path):
    command = make_installer.inno_setup_command("iscc", "0.1.0", tmp_path / "LungView", tmp_path / "out")
    passed = {argument[2:].split("=")[0] for argument in command if argument.startswith("/D")}
    required = set(re.findall(r"#ifndef (\w+)\s*\n\s*#error", ISS))
    assert required and required <= passed
    assert command[-1].endswith("lungview.iss")


def test_inno_setup_script_files_exist_and_installer_name_matches():
    for relative in re.findall(r"\{#SourcePath\}\\([^\s\"]+)", ISS):
        assert (make_installer.PACKAGING_DIR / Path(relative.replace("\\", "/"))).is_file(), relative
    assert "OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup" in ISS
    assert "PrivilegesRequired=lowest" in ISS


def test_dmg_name():
    assert make_installer.dmg_name("0.1.0", "arm64") == "LungView-0.1.0-macos-arm64.dmg"


def test_workflow_runs_the_scripts_that_exist():
    workflow = (make_installer.PACKAGING_DIR / "github-workflow.yml").read_text(encoding="utf-8")
    for script in re.findall(r"packaging/[\w.-]+", workflow):
        assert (make_installer.PACKAGING_DIR.parent / script).is_file(), script
    assert "--max-size-mb 700" in workflow
    assert "packaging/build.py --backend onnx" in workflow  # the bundle without PyTorch is the one shipped
    assert "https://download.pytorch.org/whl/cpu" in workflow
