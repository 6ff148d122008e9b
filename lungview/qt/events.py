"""Handling pending Qt events from code that waits for a result (screenshots, benchmarks, tests)."""

from PySide6.QtCore import QEventLoop


def process_events(max_ms: int = 0) -> None:
    """Handle the pending events of this thread for up to ``max_ms`` ms.

    Through an event loop object: PySide6 6.12's static ``QCoreApplication.processEvents`` drops a reference to
    ``None`` on every call, so a wait of some thousand calls crashes the interpreter ("deallocating None").
    """
    QEventLoop().processEvents(QEventLoop.ProcessEventsFlag.AllEvents, max_ms)
