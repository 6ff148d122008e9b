"""The worklist: one SQLite row per series and model (WAL, committed row by row), read back sorted and exported.

Only the client that runs the triage writes it; the viewer reads it, also while a run is still writing. A row's key
is the series key (UID and stack) with the model's id, version and sha256, and a ranking holds the rows of one
model: the model of the latest run. The file carries its schema version; a file of an earlier version is upgraded
in place when it is opened for writing (:data:`SCHEMA_VERSION`).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sqlite3
from pathlib import Path

from lungview.findings.atomic_file import written_atomically
from lungview.triage.archive import Fingerprint
from lungview.triage.rows import COLUMNS, NOT_EVALUABLE, WorklistRow
from lungview.volume import SkippedFile

#: 1: rows keyed by series alone, no record of the files analysed (no ``meta`` table); 2: rows keyed by series and
#: model, with the files' count, size and newest modification time; the model of the latest run in ``meta``.
SCHEMA_VERSION = 2

_TYPES = {int: "INTEGER", float: "REAL", str: "TEXT"}
_ROW_TYPES = {f.name: f.type for f in dataclasses.fields(WorklistRow)}
_KEY = ("series_key", "model_id", "model_version", "model_sha256")


def _column_type(name: str) -> str:
    annotation = str(_ROW_TYPES[name])
    return next((sql for python, sql in _TYPES.items() if annotation.startswith(python.__name__)), "TEXT")


_SERIES_TABLE = f"""
CREATE TABLE IF NOT EXISTS series (
    {", ".join(f"{name} {_column_type(name)}" for name in COLUMNS)},
    PRIMARY KEY ({", ".join(_KEY)})
);
"""
_SCHEMA = (
    _SERIES_TABLE
    + """
CREATE TABLE IF NOT EXISTS unusable_files (path TEXT PRIMARY KEY, reason TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
)
#: Most suspicious first; series without a score after them (not evaluable first), then skipped and failed ones.
_ORDER = f"ORDER BY top_score IS NULL, top_score DESC, status != '{NOT_EVALUABLE}', study_uid, series_key"


class WorklistError(Exception):
    """The file is not a worklist this version can read (a newer schema); the message is a plain sentence."""


class Worklist:
    """A worklist file opened for reading and writing (a context manager that closes it); upgraded on opening."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "PRAGMA synchronous=NORMAL"
        )  # with WAL: a power cut loses at most the last rows, never the file
        upgrade(self._db)

    def __enter__(self) -> Worklist:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def use_model(self, model: dict) -> None:
        """Make ``model`` (``{"id", "version", "sha256"}``) the one whose rows :meth:`rows` ranks."""
        value = json.dumps({key: model[key] for key in ("id", "version", "sha256")})
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?)", (value,))
        self._db.commit()

    def model(self) -> dict | None:
        """The model of the latest run, or None before any."""
        return _current_model(self._db)

    def record(self, row: WorklistRow) -> None:
        """Write ``row`` (replacing the series' earlier row with the same model) and commit it."""
        placeholders = ", ".join("?" for _ in COLUMNS)
        self._db.execute(
            f"INSERT OR REPLACE INTO series ({', '.join(COLUMNS)}) VALUES ({placeholders})", dataclasses.astuple(row)
        )
        self._db.commit()

    def record_unusable_files(self, files: list[SkippedFile] | tuple[SkippedFile, ...]) -> None:
        """Remember files that belong to no series, with the reason."""
        self._db.executemany("INSERT OR REPLACE INTO unusable_files VALUES (?, ?)", [(f.path, f.reason) for f in files])
        self._db.commit()

    def recorded(self, model: dict) -> dict[str, tuple[str, str, Fingerprint | None]]:
        """Series key -> (status, reason, the files it analysed or None) of the rows recorded with ``model``."""
        cursor = self._db.execute(
            "SELECT series_key, status, reason, file_count, total_bytes, newest_mtime FROM series "
            "WHERE model_id = ? AND model_version = ? AND model_sha256 = ?",
            (model["id"], model["version"], model["sha256"]),
        )
        return {
            key: (status, reason, None if count is None else Fingerprint(count, size or 0, mtime or 0.0))
            for key, status, reason, count, size, mtime in cursor
        }

    def rows(self, model: dict | None = None) -> list[WorklistRow]:
        """The rows of ``model`` (default: the model of the latest run), most suspicious first."""
        return _select_rows(self._db, model)

    def unusable_files(self) -> list[SkippedFile]:
        """Files that belong to no series."""
        return [
            SkippedFile(path, reason) for path, reason in self._db.execute("SELECT path, reason FROM unusable_files")
        ]


def schema_version(db: sqlite3.Connection) -> int:
    """The schema version of an open worklist: 0 for an empty file, 1 for a file written before versions."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" in tables:
        found = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if found is not None:
            return int(found[0])
    return 1 if "series" in tables else 0


def upgrade(db: sqlite3.Connection) -> None:
    """Bring an open worklist to :data:`SCHEMA_VERSION` in place, in one transaction (made when empty).

    Version 1 rows keep their results; having no record of the files they analysed, their series are analysed
    again by the next run. The model of the latest row becomes the model ranked.
    """
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise WorklistError(
            f"the worklist {version} is newer than this LungView reads ({SCHEMA_VERSION}); use a newer LungView"
        )
    if version == SCHEMA_VERSION:
        return
    with db:  # one transaction: an interrupted upgrade leaves the old file as it was
        db.execute("BEGIN IMMEDIATE")
        if version == 1:
            db.execute("ALTER TABLE series RENAME TO series_v1")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        if version == 1:
            old = [name for (_, name, *_rest) in db.execute("PRAGMA table_info(series_v1)") if name in COLUMNS]
            names = ", ".join(old)
            db.execute(f"INSERT OR REPLACE INTO series ({names}) SELECT {names} FROM series_v1 ORDER BY recorded_at")
            db.execute("DROP TABLE series_v1")
            latest = db.execute(
                "SELECT model_id, model_version, model_sha256 FROM series ORDER BY recorded_at DESC LIMIT 1"
            ).fetchone()
            if latest is not None:
                model = dict(zip(("id", "version", "sha256"), latest))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?)", (json.dumps(model),))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


def read_worklist(path: str | Path, model: dict | None = None) -> list[WorklistRow]:
    """The rows of ``model`` (default: the latest run's) in the worklist file ``path``, most suspicious first.

    Read-only (raises ``sqlite3.Error``); a file of an earlier schema is read as it is, without upgrading it.
    """
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return _select_rows(db, model)
    finally:
        db.close()


def worklist_model(path: str | Path) -> dict | None:
    """The model ranked in the worklist file ``path`` (``{"id", "version", "sha256"}``), None when it has no rows."""
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return _current_model(db)
    finally:
        db.close()


def _current_model(db: sqlite3.Connection) -> dict | None:
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" in tables:
        found = db.execute("SELECT value FROM meta WHERE key = 'model'").fetchone()
        if found is not None:
            return json.loads(found[0])
    if "series" not in tables:
        return None
    latest = db.execute(
        "SELECT model_id, model_version, model_sha256 FROM series ORDER BY recorded_at DESC LIMIT 1"
    ).fetchone()
    return None if latest is None else dict(zip(("id", "version", "sha256"), latest))


def _select_rows(db: sqlite3.Connection, model: dict | None = None) -> list[WorklistRow]:
    model = model or _current_model(db)
    if model is None:
        return []
    present = [name for (_, name, *_rest) in db.execute("PRAGMA table_info(series)") if name in COLUMNS]
    cursor = db.execute(
        f"SELECT {', '.join(present)} FROM series WHERE model_id = ? AND model_version = ? AND model_sha256 = ? "
        + _ORDER,
        (model["id"], model["version"], model["sha256"]),
    )
    return [WorklistRow(**dict(zip(present, values))) for values in cursor]


def write_csv(rows: list[WorklistRow], path: str | Path) -> None:
    """Write ``rows`` as CSV with a header line of the column names, whole or not at all (an earlier file at
    ``path`` stays as it was when writing fails)."""
    with written_atomically(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        writer.writerows(dataclasses.astuple(row) for row in rows)
