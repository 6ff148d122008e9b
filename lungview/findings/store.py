"""The findings log: an SQLite file in which every saved finding survives a crash or a power cut.

Each save is its own committed transaction in WAL mode with ``synchronous=FULL``, so once :meth:`FindingsLog.save`
returns, the finding is on disk (SQLite, "Write-Ahead Logging" and "PRAGMA synchronous"). The operating-system
account guards access to the file; no passwords are stored.
"""

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from lungview.findings.finding import DECISIONS, Finding, ReviewedSlice, validate_decision
from lungview.findings.lung_rads import LUNG_RADS_CATEGORIES, validate_lung_rads
from lungview.findings.measurement import Measurement

FINDINGS_FILE_NAME = "findings.sqlite"
SCHEMA_VERSION = 2
"""1: the findings; 2: adds their measurements (a JSON list), filled with ``[]`` for older findings."""
BUSY_TIMEOUT_MS = 5000


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    slice_index INTEGER NOT NULL,
    source_path TEXT NOT NULL DEFAULT '',
    model_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    weights_sha256 TEXT NOT NULL,
    probabilities TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ({_quoted(DECISIONS)})),
    lung_rads TEXT CHECK (lung_rads IS NULL OR lung_rads IN ({_quoted(LUNG_RADS_CATEGORIES)})),
    note TEXT NOT NULL DEFAULT '',
    measurements TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS findings_by_series ON findings (series_uid);
"""

_STORED_COLUMNS = (
    "recorded_at, study_uid, series_uid, sop_instance_uid, slice_index, source_path, "
    "model_id, model_version, weights_sha256, probabilities, decision, lung_rads, note, measurements"
)
_ADD_MEASUREMENTS = "ALTER TABLE findings ADD COLUMN measurements TEXT NOT NULL DEFAULT '[]'"
_COLUMNS = f"id, {_STORED_COLUMNS}"


class FindingsError(RuntimeError):
    """The findings log cannot be opened, read or written; the message says why in plain words."""


def default_findings_path() -> Path:
    """``findings.sqlite`` in the per-user data folder."""
    from lungview.paths import user_data_dir

    return user_data_dir() / FINDINGS_FILE_NAME


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _finding_from_row(row: tuple) -> Finding:
    (finding_id, recorded_at, study_uid, series_uid, sop_uid, slice_index, source_path,
     model_id, model_version, sha256, probabilities, decision, lung_rads, note, measurements) = row
    reviewed = ReviewedSlice(
        study_uid=study_uid,
        series_uid=series_uid,
        sop_instance_uid=sop_uid,
        slice_index=slice_index,
        model_id=model_id,
        model_version=model_version,
        weights_sha256=sha256,
        probabilities=json.loads(probabilities),
        source_path=source_path,
    )
    kept = tuple(Measurement.from_dict(values) for values in json.loads(measurements))
    return Finding(finding_id, recorded_at, reviewed, decision, lung_rads, note, kept)


class FindingsLog:
    """The findings log in one SQLite file; use from one thread (the GUI thread or a script).

    Parameters
    ----------
    path
        The SQLite file; ``findings.sqlite`` in the per-user data folder when None. Created on first use.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_findings_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; every save below opens and commits its own.
            self._connection = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=FULL")
            self._create_schema()
        except (sqlite3.Error, OSError) as error:
            raise FindingsError(f"cannot open the findings log {self.path}: {error}") from error

    def _create_schema(self) -> None:
        version = self._connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise FindingsError(
                f"the findings log {self.path} was written by a newer LungView (schema {version}); update LungView"
            )
        upgrade = f"{_ADD_MEASUREMENTS};" if version == 1 else ""
        self._connection.executescript(
            f"BEGIN; {_SCHEMA} {upgrade} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        )

    def save(
        self,
        reviewed: ReviewedSlice,
        decision: str,
        lung_rads: str | None = None,
        note: str = "",
        measurements: tuple[Measurement, ...] = (),
    ) -> Finding:
        """Validate and store one finding (with its ``measurements``) in its own committed transaction; return it.

        Raises
        ------
        ValueError
            If the decision or the Lung-RADS category is not valid, or the slice has no model.
        FindingsError
            If the file cannot be written.
        """
        decision = validate_decision(decision)
        lung_rads = validate_lung_rads(lung_rads)
        if not reviewed.model_id:
            raise ValueError("a finding judges an AI result: the reviewed slice names no model")
        values = (
            _utc_now(), reviewed.study_uid, reviewed.series_uid, reviewed.sop_instance_uid,
            int(reviewed.slice_index), reviewed.source_path, reviewed.model_id, reviewed.model_version,
            reviewed.weights_sha256, json.dumps(reviewed.probabilities, sort_keys=True), decision, lung_rads, note,
            json.dumps([measurement.as_dict() for measurement in measurements]),
        )
        try:
            with self._transaction():
                cursor = self._connection.execute(
                    f"INSERT INTO findings ({_STORED_COLUMNS}) VALUES ({', '.join('?' * len(values))})",
                    values,
                )
        except sqlite3.Error as error:
            raise FindingsError(f"cannot save the finding in {self.path}: {error}") from error
        return self.get(cursor.lastrowid)

    @contextmanager
    def _transaction(self):
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` when the body raises."""
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def get(self, finding_id: int) -> Finding:
        """The finding with this id; KeyError if there is none."""
        row = self._query(f"SELECT {_COLUMNS} FROM findings WHERE id = ?", (finding_id,))
        if not row:
            raise KeyError(f"no finding {finding_id}")
        return _finding_from_row(row[0])

    def find(
        self, series_uid: str | None = None, decision: str | None = None, model_id: str | None = None
    ) -> list[Finding]:
        """Saved findings, newest first, keeping only those that match every filter given."""
        conditions, parameters = [], []
        for column, value in (("series_uid", series_uid), ("decision", decision), ("model_id", model_id)):
            if value is not None:
                conditions.append(f"{column} = ?")
                parameters.append(value)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = self._query(f"SELECT {_COLUMNS} FROM findings {where} ORDER BY id DESC", tuple(parameters))
        return [_finding_from_row(row) for row in rows]

    def model_ids(self) -> list[str]:
        """Every model id that has findings, sorted (for a filter menu)."""
        return [row[0] for row in self._query("SELECT DISTINCT model_id FROM findings ORDER BY model_id", ())]

    def _query(self, sql: str, parameters: tuple) -> list[tuple]:
        try:
            return self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise FindingsError(f"cannot read the findings log {self.path}: {error}") from error

    def close(self) -> None:
        """Close the file; saved findings are already on disk."""
        self._connection.close()

    def __enter__(self) -> "FindingsLog":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
