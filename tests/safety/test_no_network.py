"""Nothing opens a network connection: scanning, predicting and the viewer with its AI panel run with sockets blocked.

Python-level socket creation is replaced by a guard that records the attempt and raises; a socket opened from
C++ (Qt, ONNX Runtime, torch) would bypass it, so the process's open file descriptors are also checked for
internet sockets at the end of each step.
"""

import os
import socket
import sys
from pathlib import Path

import pytest

from lungview.cli import main


class NetworkAttempted(OSError):
    """Raised by the guard instead of creating a socket."""


@pytest.fixture
def socket_attempts(monkeypatch) -> list[str]:
    """Block socket creation and connection for the test; the list records every attempt."""
    attempts: list[str] = []

    class GuardedSocket(socket.socket):
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):  # noqa: A002 - socket.socket's own names
            attempts.append(f"socket.socket(family={family}, type={type})")
            raise NetworkAttempted("LungView must not open sockets")

    def guarded(name):
        def refuse(*args, **kwargs):
            attempts.append(f"socket.{name}{args}")
            raise NetworkAttempted("LungView must not open sockets")

        return refuse

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    for name in ("create_connection", "create_server", "socketpair", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, guarded(name))
    return attempts


def internet_sockets() -> list[str]:
    """Inodes of this process's open TCP/UDP sockets (IPv4 or IPv6), from /proc (Linux)."""
    proc = Path("/proc/self")
    if not (proc / "net" / "tcp").is_file():
        return []
    ours = set()
    for fd in (proc / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            ours.add(target[len("socket:["):-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        path = proc / "net" / table
        if path.is_file():
            for line in path.read_text().splitlines()[1:]:
                inode = line.split()[9]
                if inode in ours:
                    found.append(f"{table} socket {inode}")
    return found


def test_the_guard_catches_an_attempt(socket_attempts):
    with pytest.raises(NetworkAttempted):
        socket.create_connection(("example.org", 80))
    assert socket_attempts == ["socket.create_connection(('example.org', 80),)"]


def test_scanning_the_data_opens_no_connection(socket_attempts, sample_series_dir, capsys):
    assert main(["scan", str(sample_series_dir)]) == 0
    assert main(["scan", str(sample_series_dir / "1-15.dcm"), str(Path(__file__))]) == 0
    capsys.readouterr()
    assert socket_attempts == [] and internet_sockets() == []


def test_predicting_opens_no_connection(socket_attempts, sample_series_dir, blob_weights_dir, capsys):
    assert (
        main(["predict", str(sample_series_dir), "--slices", "0,15", "--cam", "--weights-dir", str(blob_weights_dir)])
        == 0
    )
    capsys.readouterr()
    assert socket_attempts == [] and internet_sockets() == []


def test_the_viewer_with_its_ai_panel_opens_no_connection(socket_attempts, analysed_window):
    analysed_window()  # opens the sample, loads the model, classifies two slices and draws an overlay
    assert socket_attempts == [] and internet_sockets() == []
    assert "PySide6.QtNetwork" not in sys.modules
