"""Qt fixtures: a main window with throw-away settings, and a check that no worker thread outlives a test."""

import threading

import pytest
from PySide6.QtCore import QSettings, Qt, QThreadPool


def lungview_threads() -> list[str]:
    """Names of LungView worker threads still alive (runners and slice decoders)."""
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("lungview-")]


@pytest.fixture(name="lungview_threads")
def lungview_threads_fixture():
    """The function :func:`lungview_threads`, for tests that close their own window."""
    return lungview_threads


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def main_window(qtbot, settings):
    """The real main window, shown offscreen; closed (threads joined) at the end of the test."""
    from lungview.qt.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    assert lungview_threads() == []
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture
def sample_window(qtbot, main_window, sample_series_dir):
    """The main window with the bundled sample series loaded and every slice decoded."""
    with qtbot.waitSignal(main_window.loading_finished, timeout=60_000):
        main_window.open_paths([str(sample_series_dir)])
    qtbot.waitUntil(lambda: main_window.current_image() is not None, timeout=30_000)
    return main_window


@pytest.fixture
def mpr_window(qtbot, sample_window):
    """The sample series in the 1×3 layout with its reformat volume built."""
    with qtbot.waitSignal(sample_window.mpr.volume_ready, timeout=60_000):
        qtbot.keyClick(sample_window, Qt.Key.Key_F3)
    return sample_window
