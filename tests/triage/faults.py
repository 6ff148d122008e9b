"""Tasks that kill their Dask worker on one series, to test that a triage survives it.

Imported as ``triage.faults``; the tests pickle it by value, so the workers need not import it.
"""

import os
from pathlib import Path

from lungview.triage.task import analyse_series


def exit_once(key, series, spec, *, victim: str, marker: Path):
    """Kill the worker the first time it runs ``victim`` (``marker`` remembers it), else analyse the series."""
    if key == victim and not marker.exists():
        marker.touch()
        os._exit(1)
    return analyse_series(key, series, spec)


def exit_always(key, series, spec, *, victim: str, marker: Path):
    """Kill the worker every time it runs ``victim`` (counting the deaths in ``marker``), else analyse the series."""
    if key == victim:
        with open(marker, "a") as stream:
            stream.write("died\n")
        os._exit(1)
    return analyse_series(key, series, spec)
