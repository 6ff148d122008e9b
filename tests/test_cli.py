import pytest

from lungview import cli


def test_bare_path_means_view():
    assert cli._with_default_command(["some/folder"]) == ["view", "some/folder"]
    assert cli._with_default_command([]) == ["view"]
    assert cli._with_default_command(["--debug", "x"]) == ["--debug", "view", "x"]


def test_known_command_is_kept():
    assert cli._with_default_command(["view", "x"]) == ["view", "x"]


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out



def _raising(error):
    def run(args):
        raise error

    return run


def test_command_needing_torch_says_so_without_a_traceback(monkeypatch, capsys):
    from lungview.commands import scan

    monkeypatch.setattr(scan, "run", _raising(ModuleNotFoundError("No module named 'torch'", name="torch.nn")))
    assert cli.main(["scan", "x"]) == 2
    assert "no PyTorch (torch.nn is missing)" in capsys.readouterr().err


def test_other_missing_modules_are_not_hidden(monkeypatch):
    from lungview.commands import scan

    monkeypatch.setattr(scan, "run", _raising(ModuleNotFoundError("No module named 'pydicom'", name="pydicom")))
    with pytest.raises(ModuleNotFoundError):
        cli.main(["scan", "x"])
