"""The layers hold (STYLE.md: two layers, one rule): the import-linter contracts in pyproject.toml, checked by the
tests too so that ``pytest`` alone catches a computing module that imports Qt or a lower layer that imports a higher;
and no package reaches into another's private names.
"""

import ast
import re
from pathlib import Path

from importlinter.cli import lint_imports

try:
    import tomllib
except ImportError:  # Python 3.10: import-linter brings tomli
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_import_contracts_hold(capsys):
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert status == 0, capsys.readouterr().out


PACKAGE = PYPROJECT.parent / "lungview"


def _top_package(module: str) -> str:
    """``lungview.qt.main_window`` -> ``qt``; a top-level module is its own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _private_imports_across_packages(package: Path = PACKAGE) -> list[str]:
    """Every ``from lungview.X... import _name`` (or of a ``_module``) where X is not the importer's package."""
    found = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("lungview"):
                continue
            for alias in node.names:
                parts = [*node.module.split("."), alias.name]
                private = any(part.startswith("_") and not part.startswith("__") for part in parts)
                if private and _top_package(node.module) != _top_package(module):
                    found.append(f"{module}: from {node.module} import {alias.name}")
    return found


def test_no_private_name_is_imported_across_packages():
    assert _private_imports_across_packages() == []


def test_the_private_import_check_sees_one(tmp_path):
    package = tmp_path / "lungview"
    (package / "qt").mkdir(parents=True)
    (package / "qt" / "probe.py").write_text("from lungview.models.preprocess import _helper\n", encoding="utf-8")
    (package / "models").mkdir()
    (package / "models" / "probe.py").write_text("from lungview.models.preprocess import _helper\n", encoding="utf-8")
    found = _private_imports_across_packages(package)
    assert found == ["lungview.qt.probe: from lungview.models.preprocess import _helper"]


def test_every_package_and_module_of_lungview_sits_in_a_layer():
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    named = {re.sub(r"[()]", "", name).strip() for layer in layers for name in re.split(r"[:|]", layer)}
    children = {path.stem for path in PACKAGE.glob("*.py")}
    children |= {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert children - {"__init__", "__main__"} - named == set()
