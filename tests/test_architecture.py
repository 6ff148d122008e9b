"""The layers hold (STYLE.md: two layers, one rule): the import-linter contracts in pyproject.toml, checked by the
tests too so that ``pytest`` alone catches a computing module that imports Qt or a lower layer that imports a higher.
"""

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_import_contracts_hold(capsys):
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert status == 0, capsys.readouterr().out
