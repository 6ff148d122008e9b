"""The computing layer never imports Qt (STYLE.md: two layers, one rule)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lungview"
GUI_PACKAGES = {"qt"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_computing_modules_never_import_qt():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in GUI_PACKAGES or relative.parts[0] == "commands":
            continue
        if any(name.split(".")[0] in {"PySide6", "shiboken6"} for name in _imported_modules(path)):
            offenders.append(str(relative))
    assert offenders == []
