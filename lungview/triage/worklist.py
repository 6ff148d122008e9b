"""The worklist: one SQLite row per series (WAL, committed row by row), read back sorted and exported to CSV.

Only the client that runs the triage writes it; the viewer reads it, also while a run is still writing.
"""

from __future__ import annotations

import csv
import dataclasses
import sqlite3
from pathlib import Path

from lungview.triage.rows import COLUMNS, WorklistRow
from lungview.volume import SkippedFile

_TYPES = {int: "INTEGER", float: "REAL", str: "TEXT"}
_ROW_TYPES = {f.name: f.type for f in dataclasses.fields(WorklistRow)}


def _column_type(name: str) -> str:
    annotation = str(_ROW_TYPES[name])
    return next((sql for python, sql in _TYPES.items() if annotation.startswith(python.__name__)), "TEXT")


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS series (
    {", ".join(f"{name} {_column_type(name)}" for name in COLUMNS)},
    PRIMARY KEY (series_key)
);
CREATE TABLE IF NOT EXISTS unusable_files (path TEXT PRIMARY KEY, reason TEXT);
"""
#: Most suspicious first; series without a score after them, then skipped and failed ones.
_ORDER = "ORDER BY top_score IS NULL, top_score DESC, study_uid, series_key"


class Worklist:
    """A worklist file opened for reading and writing (a context manager that closes it)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "PRAGMA synchronous=NORMAL"
        )  # with WAL: a power cut loses at most the last rows, never the file
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def __enter__(self) -> Worklist:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def record(self, row: WorklistRow) -> None:
        """Write ``row`` (replacing the series' earlier row) and commit it."""
        placeholders = ", ".join("?" for _ in COLUMNS)
        self._db.execute(
            f"INSERT OR REPLACE INTO series ({', '.join(COLUMNS)}) VALUES ({placeholders})", dataclasses.astuple(row)
        )
        self._db.commit()

    def record_unusable_files(self, files: list[SkippedFile] | tuple[SkippedFile, ...]) -> None:
        """Remember files that belong to no series, with the reason."""
        self._db.executemany("INSERT OR REPLACE INTO unusable_files VALUES (?, ?)", [(f.path, f.reason) for f in files])
        self._db.commit()

    def recorded(self, model_sha256: str) -> dict[str, tuple[str, str]]:
        """Series key -> (status, reason) of the rows recorded with the model of this sha256."""
        cursor = self._db.execute(
            "SELECT series_key, status, reason FROM series WHERE model_sha256 = ?", (model_sha256,)
        )
        return {key: (status, reason) for key, status, reason in cursor}

    def rows(self) -> list[WorklistRow]:
        """Every row, most suspicious first."""
        return _select_rows(self._db)

    def unusable_files(self) -> list[SkippedFile]:
        """Files that belong to no series."""
        return [
            SkippedFile(path, reason) for path, reason in self._db.execute("SELECT path, reason FROM unusable_files")
        ]


def read_worklist(path: str | Path) -> list[WorklistRow]:
    """The rows of the worklist file ``path``, most suspicious first (read-only; raises ``sqlite3.Error``)."""
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return _select_rows(db)
    finally:
        db.close()


def _select_rows(db: sqlite3.Connection) -> list[WorklistRow]:
    return [WorklistRow(*values) for values in db.execute(f"SELECT {', '.join(COLUMNS)} FROM series {_ORDER}")]


def write_csv(rows: list[WorklistRow], path: str | Path) -> None:
    """Write ``rows`` as CSV with a header line of the column names."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        writer.writerows(dataclasses.astuple(row) for row in rows)
