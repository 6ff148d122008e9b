"""The spec's lists agree with each other, with the installed packages and with what LungView imports."""

import ast
import importlib.util
import keyword
from importlib.metadata import distribution
from pathlib import Path

import bundle_contents as contents
import pytest

LUNGVIEW_DIR = contents.REPO_ROOT / "lungview"


def _is_module_name(name: str) -> bool:
    return all(part.isidentifier() and not keyword.iskeyword(part) for part in name.split("."))


def test_every_listed_name_is_a_module_name():
    names = [*contents.EXCLUDES, *contents.ONNX_BACKEND_EXCLUDES, *contents.TRIMMED_PACKAGES,
             *contents.SUBMODULE_PACKAGES, *contents.TORCH_DATA_PACKAGES]  # fmt: skip
    assert [name for name in names if not _is_module_name(name)] == []


def test_lists_have_no_duplicates_and_backends_do_not_overlap():
    for listed in (
        contents.EXCLUDES,
        contents.ONNX_BACKEND_EXCLUDES,
        contents.TRIMMED_PACKAGES,
        contents.DROPPED_FILES,
    ):
        assert len(listed) == len(set(listed))
    assert set(contents.EXCLUDES).isdisjoint(contents.ONNX_BACKEND_EXCLUDES)
    assert set(contents.GUARDED_EXCLUDES) <= set(contents.EXCLUDES)


@pytest.mark.parametrize("backend", contents.BACKENDS)
def test_nothing_is_both_collected_and_excluded(backend):
    excludes = contents.excludes_for(backend)
    collected = [*contents.SUBMODULE_PACKAGES, *contents.TORCH_DATA_PACKAGES * (backend == "torch")]
    clashes = [name for name in collected if contents.excluded_but_imported({name}, excludes)]
    assert clashes == []


def test_torch_is_trimmed_not_excluded_in_the_torch_backend():
    excludes = contents.excludes_for("torch")
    assert contents.excluded_but_imported({"torch", "torchvision", "pytorch_grad_cam"}, excludes) == []
    assert "torch" in contents.excludes_for("onnx")
    with pytest.raises(ValueError, match="unknown backend"):
        contents.excludes_for("tensorflow")


def test_collected_packages_and_metadata_are_installed():
    for package in (*contents.SUBMODULE_PACKAGES, *contents.TORCH_DATA_PACKAGES, *contents.TRIMMED_PACKAGES[:1]):
        assert importlib.util.find_spec(package.split(".")[0]) is not None, package
    for name in contents.METADATA_DISTRIBUTIONS:
        assert distribution(name).metadata["Name"]


def test_pylibjpeg_plugins_are_found_through_bundled_entry_points():
    """pydicom finds the decoders by the entry points in these distributions' metadata, so it must be copied."""
    for name in ("pylibjpeg-libjpeg", "pylibjpeg-openjpeg", "pylibjpeg-rle"):
        groups = {entry_point.group for entry_point in distribution(name).entry_points}
        assert "pylibjpeg.pixel_data_decoders" in groups
        assert name in contents.METADATA_DISTRIBUTIONS


def test_data_folders_icons_and_entry_script_exist():
    for folder in contents.DATA_FOLDERS:
        assert (contents.REPO_ROOT / folder).is_dir()
    for icon in contents.ICONS.values():
        assert icon.is_file()
    assert contents.ENTRY_SCRIPT.is_file()


def test_torchvision_extensions_the_hook_misses_are_installed():
    torchvision_dir = Path(importlib.util.find_spec("torchvision").origin).parent
    for extension in contents.TORCHVISION_EXTENSIONS:
        assert list(torchvision_dir.glob(f"{extension}.*")), extension


def _module_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_lungview_module_imports_an_excluded_package_at_load_time():
    """An excluded package imported at module level would break the bundle on start; inside a function it only
    makes that one feature unavailable in the bundle."""
    excludes = contents.excludes_for("torch")
    offenders = {
        str(path.relative_to(LUNGVIEW_DIR)): found
        for path in LUNGVIEW_DIR.rglob("*.py")
        if (found := contents.excluded_but_imported(_module_level_imports(path), excludes))
    }
    assert offenders == {}


def test_excluded_but_imported_matches_whole_dotted_parts():
    excludes = ("onnx", "torch.utils.tensorboard", "triton")
    imported = {"onnx", "onnx.helper", "onnxruntime", "torch.utils.tensorboard.writer", "torch.utils.data", "triton"}
    assert contents.excluded_but_imported(imported, excludes) == [
        "onnx",
        "onnx.helper",
        "torch.utils.tensorboard.writer",
    ]


def test_unused_modules_keeps_what_was_imported_and_its_parents(tmp_path):
    package = tmp_path / "pkg"
    for relative in ("__init__.py", "used.py", "unused.py", "sub/__init__.py", "sub/deep.py", "sub/other.py",
                     "gone/__init__.py", "gone/inner.py", "__pycache__/junk.py"):  # fmt: skip
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text("")
    assert contents.package_modules(package, "pkg") == {
        "pkg", "pkg.used", "pkg.unused", "pkg.sub", "pkg.sub.deep", "pkg.sub.other", "pkg.gone", "pkg.gone.inner"
    }  # fmt: skip
    unused = contents.unused_modules({"pkg": package}, {"pkg", "pkg.used", "pkg.sub.deep"})
    assert unused == ["pkg.gone", "pkg.sub.other", "pkg.unused"]


def test_dropped_files_by_platform():
    linux, windows = contents.dropped_patterns("linux"), contents.dropped_patterns("win32")
    assert contents.is_dropped("nvidia/cudnn/lib/libcudnn_engines_precompiled.so.9", linux)
    assert not contents.is_dropped("nvidia/cudnn/lib/libcudnn.so.9", linux)  # linked by torch: must stay
    assert not contents.is_dropped("nvidia/cu13/lib/libcublas.so.13", linux)
    assert not contents.is_dropped("nvidia/cudnn/lib/libcudnn_ops.so.9", windows)
    assert contents.is_dropped("PySide6\\Qt\\translations\\qt_de.qm", windows)
    assert contents.is_dropped("torch/include/ATen/core/Tensor.h", windows)
    assert not contents.is_dropped("torch/lib/torch_cpu.dll", windows)
    assert not contents.is_dropped("torch/bin/torch_shm_manager", linux)  # import torch checks it exists
    assert contents.is_dropped("torch/bin/protoc-3.21.12.0", linux)


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_research_logs_stay_out_of_the_bundle_and_reports_go_in(platform):
    dropped = contents.dropped_patterns(platform)
    weights = contents.REPO_ROOT / "weights"
    research = {"research.md", "candidates.md", "candidates.jsonl", "history.md"}
    files = [path.relative_to(contents.REPO_ROOT).as_posix() for path in weights.rglob("*") if path.is_file()]
    logs = [name for name in files if name.rsplit("/", 1)[-1] in research]
    assert logs, "expected research logs in weights/*/report/"
    assert [name for name in logs if not contents.is_dropped(name, dropped)] == []
    kept = [name for name in files if name.rsplit("/", 1)[-1] not in research]
    assert [name for name in kept if contents.is_dropped(name, dropped)] == []
    assert contents.is_dropped("weights\\ct-subtype-4\\report\\candidates.md", dropped)


def test_keeps_submodule_skips_test_suites():
    assert contents.keeps_submodule("libjpeg.utils")
    assert not contents.keeps_submodule("libjpeg.tests.test_decode")
    assert not contents.keeps_submodule("rle.benchmarks.bench")


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2.3.4.5", (1, 2, 3, 4)),
        ("0.0.0+source", (0, 0, 0, 0)),
        ("2.0rc1", (2, 0, 0, 0)),
        ("x", (0, 0, 0, 0)),
    ],
)
def test_version_tuple_for_the_windows_version_resource(version, numbers):
    assert contents.version_tuple(version) == numbers


def test_windows_version_strings_carry_the_version_and_intended_use():
    strings = contents.windows_version_strings("0.1.0")
    assert strings["ProductVersion"] == strings["FileVersion"] == "0.1.0"
    assert "not a diagnosis" in strings["FileDescription"]
