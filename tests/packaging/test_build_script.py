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
    outcome = build.run_smoke.SmokeOutcome(
        1.0, 2.0, 2.5, 3.0, "test", {"result": {"backend": "onnxruntime"}}, ["lungview"]
    )
    monkeypatch.setattr(build.run_smoke, "run_smoke", lambda *args, **kwargs: outcome)
    monkeypatch.setattr(
        build, "run_pyinstaller", lambda *args: _write(tmp_path / "dist" / "LungView" / "big", 2 * build.MEGABYTE)
    )
    arguments = ["--work-dir", str(tmp_path / "work"), "--dist-dir", str(tmp_path / "dist"), "--max-size-mb", "1"]
    assert build.main(arguments) == 1
    assert build.main(arguments[:-2]) == 0
    assert (tmp_path / "dist" / "build-report.json").is_file()


def test_a_bundle_that_lost_the_fast_path_fails():
    build.check_same_backend("onnxruntime", ["onnxruntime", "onnxruntime"])
    with pytest.raises(build.BuildError, match="bundle classified with torch"):
        build.check_same_backend("onnxruntime", ["torch"])


def _outcome(backend: str, probabilities: dict) -> "build.run_smoke.SmokeOutcome":
    result = {"backend": backend, "model": "m", "slice_index": 3, "probabilities": probabilities}
    return build.run_smoke.SmokeOutcome(1.0, 2.0, 2.5, 3.0, "test", {"result": result}, ["lungview"])


@pytest.mark.parametrize(("offset", "status"), [(5e-5, 0), (1e-3, 1)])
def test_onnx_build_fails_unless_the_bundle_matches_pytorch(tmp_path, monkeypatch, offset, status):
    """The ONNX backend's build: staged weights, and the bundle's probabilities against the PyTorch back end's."""
    import lungview.training.onnx_export

    staged = []
    monkeypatch.setattr(
        lungview.training.onnx_export, "stage_onnx_weights", lambda source, target: staged.append(target)
    )

    def smoke(command, out_dir, timeout, extra_args=(), extra_environment=None):
        if (extra_environment or {}).get("LUNGVIEW_BACKEND") == "torch":
            return _outcome("onnxruntime", {"a": 0.25, "b": 0.75})
        return _outcome("onnxruntime, no PyTorch", {"a": 0.25 + offset, "b": 0.75 - offset})

    monkeypatch.setattr(build.run_smoke, "run_smoke", smoke)
    monkeypatch.setattr(build, "run_pyinstaller", lambda *args: _write(tmp_path / "dist" / "LungView" / "app", 10))
    arguments = ["--backend", "onnx", "--work-dir", str(tmp_path / "work"), "--dist-dir", str(tmp_path / "dist")]
    assert build.main(arguments) == status
    assert staged == [tmp_path / "work" / "onnx-weights"]
    if status == 0:
        report = __import__("json").loads((tmp_path / "dist" / "build-report.json").read_text())
        assert report["max_probability_difference_vs_torch"] == pytest.approx(offset)


def test_probability_difference_needs_the_same_model_and_slice():
    same = _outcome("x", {"a": 0.5, "b": 0.5}).report["result"]
    assert build.probability_difference(same, {**same, "probabilities": {"a": 0.4, "b": 0.6}}) == pytest.approx(0.1)
    with pytest.raises(build.BuildError, match="slice_index"):
        build.probability_difference(same, {**same, "slice_index": 4})
