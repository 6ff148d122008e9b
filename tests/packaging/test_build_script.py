"""packaging/build.py's pure parts: where the executable is, sizes, and the import-graph check (no build here)."""

import build
import pytest


@pytest.mark.parametrize(
    ("platform", "relative"),
    [
        ("linux", "LungView/LungView"),
        ("win32", "LungView/LungView.exe"),
        ("darwin", "LungView.app/Contents/MacOS/LungView"),
    ],
)
def test_bundle_executable(tmp_path, platform, relative):
    assert build.bundle_executable(tmp_path, platform) == tmp_path / relative
    assert build.bundle_executable(tmp_path, platform).is_relative_to(build.bundle_folder(tmp_path, platform))


def _write(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def test_sizes_group_by_top_level_folder_inside_the_bundle(tmp_path):
    bundle = tmp_path / "LungView"
    _write(bundle / "LungView", 10)
    _write(bundle / "_internal" / "torch" / "lib" / "a.so", 300)
    _write(bundle / "_internal" / "torch" / "b.py", 5)
    _write(bundle / "_internal" / "nvidia" / "cu13" / "lib" / "c.so", 200)
    _write(bundle / "_internal" / "nvidia" / "nccl" / "lib" / "d.so", 100)
    (bundle / "_internal" / "link.so").symlink_to(bundle / "_internal" / "torch" / "lib" / "a.so")
    assert build.folder_size(bundle) == 615
    assert build.size_breakdown(bundle) == {"torch": 305, "nvidia/cu13": 200, "nvidia/nccl": 100, "LungView": 10}


def test_macos_bundle_sizes_skip_the_app_layout(tmp_path):
    app = tmp_path / "LungView.app"
    _write(app / "Contents" / "Frameworks" / "torch" / "lib" / "a.dylib", 50)
    _write(app / "Contents" / "MacOS" / "LungView", 7)
    _write(app / "Contents" / "Info.plist", 1)
    assert build.size_breakdown(app) == {"torch": 50, "LungView": 7, "Info.plist": 1}


def test_import_graph_check_names_the_excluded_modules_the_app_imports():
    build.check_import_graph(["torch", "torch._dynamo", "triton", "cuda.bindings", "PySide6.QtCore"], "torch")
    with pytest.raises(build.BuildError, match="skimage.io"):
        build.check_import_graph(["skimage", "skimage.io"], "torch")
    with pytest.raises(build.BuildError, match="torch"):
        build.check_import_graph(["torch"], "onnx")


def test_oversized_bundle_fails_the_build(tmp_path, monkeypatch):
    """Every step but the size check is stubbed: a 2 MB bundle against a 1 MB limit must fail."""
    outcome = build.run_smoke.SmokeOutcome(1.0, 2.0, 2.5, 3.0, "test", {"result": {"backend": "onnxruntime"}}, ["lungview"])
    monkeypatch.setattr(build.run_smoke, "run_smoke", lambda *args, **kwargs: outcome)
    monkeypatch.setattr(build, "run_pyinstaller", lambda *args: _write(tmp_path / "dist" / "LungView" / "big", 2 * build.MEGABYTE))
    arguments = ["--work-dir", str(tmp_path / "work"), "--dist-dir", str(tmp_path / "dist"), "--max-size-mb", "1"]
    assert build.main(arguments) == 1
    assert build.main(arguments[:-2]) == 0
    assert (tmp_path / "dist" / "build-report.json").is_file()


def test_a_bundle_that_lost_the_fast_path_fails():
    build.check_same_backend("onnxruntime", ["onnxruntime", "onnxruntime"])
    with pytest.raises(build.BuildError, match="bundle classified with torch"):
        build.check_same_backend("onnxruntime", ["torch"])
