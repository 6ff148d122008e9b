"""Work around PySide6 6.12.0 dropping references to None and True on CPython 3.11.

Its bindings return ``None`` from every void method (``setValue``, ``setEnabled``, ...) and ``True`` from
``SignalInstance.emit()`` without taking a reference, as is harmless only where those objects are immortal
(CPython 3.12+, PEP 683). On 3.11 a few thousand calls deallocate them and the interpreter aborts ("Fatal Python
error: none_dealloc" / "bool_dealloc"). A probe detects the bug; only then we pin the reference counts of
``None``, ``True`` and ``False`` far above anything a session can consume, making them immortal in effect.
Imported by :mod:`lungview.qt`, so it runs before any LungView widget exists.
"""

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

PINNED_REFERENCES = 1 << 40
_PROBE_CALLS = 16


class _Probe(QObject):
    pinged = Signal()


def bindings_drop_references() -> bool:
    """True when void calls or signal emits lose references to ``None`` or ``True`` (the PySide6 6.12.0 bug)."""
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
        probe.pinged.emit()
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    return lost_none >= _PROBE_CALLS // 2 or lost_true >= _PROBE_CALLS // 2


def pin_singletons_if_needed() -> bool:
    """Apply the work-around when the bug is present; return whether it was applied."""
    if sys.version_info >= (3, 12) or not bindings_drop_references():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object (Include/object.h, PyObject_HEAD).
        ctypes.c_ssize_t.from_address(id(singleton)).value += PINNED_REFERENCES
    return True
