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
