"""The per-user data folder follows the XDG base directory rule on Linux."""

import sys
from pathlib import Path

import pytest

from lungview import paths

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rule applies on Linux")


def test_user_data_follows_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert paths.user_data_dir() == tmp_path / "LungView"
    assert (tmp_path / "LungView").is_dir()


def test_a_relative_xdg_data_home_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", "relative/folder")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.user_data_dir() == Path(tmp_path) / ".local" / "share" / "LungView"
