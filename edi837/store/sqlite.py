"""The embedded history store: one SQLite file, shared by the processes of one machine.

Locking: ``begin()`` is ``BEGIN IMMEDIATE``, which takes the database's write lock at
once, so two runs on one file are serialized as a whole (the second waits up to the busy
timeout, 60 s unless ``?timeout=SECONDS`` says otherwise, then fails with "database is
locked", which ``run_in_transaction`` retries). ``lock_patients`` only registers the
run's patients.
WAL journaling lets ``history show`` read while a run writes. A killed run leaves its
transaction in the WAL uncommitted, and SQLite discards it on the next open.

Control numbers: outside a transaction each ``next_control_number`` is its own atomic
statement. Inside one it is part of the run's transaction (SQLite's write lock is
already held by it, so no other connection could write the counter); a run that rolls
back gives its numbers back. Ask for numbers after ``commit()`` when they leave the
building (as the 277CA writer does, after screening).
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from edi837.store.migrations import MIGRATIONS, SCHEMA_VERSION
from edi837.store.schema import SqlHistory, StoreError

DEFAULT_TIMEOUT = 60.0


class SqliteHistory(SqlHistory):
    dialect = "sqlite"
    NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

    def __init__(self, path: str, *, url: str = "", timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(url or f"sqlite:///{path}")
        self.path = path
        if path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                # Created 0600 before SQLite makes it 0644: it holds member ids (its
                # -wal and -shm files take the same mode).
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            except OSError as exc:
                raise StoreError(
                    f"{path}: cannot create the history directory: {exc.strerror}"
                ) from None
        try:
            self.db = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the history store: {exc}") from None
        try:
            if path != ":memory:":
                # Switching a new file to WAL does not wait on the busy handler.
                self._patiently(lambda: self.db.execute("PRAGMA journal_mode=WAL"), timeout)
            self._migrate()
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"{path}: cannot open the history store: {exc}") from None
            raise

    @staticmethod
    def _patiently(fn: Callable[[], Any], timeout: float) -> Any:
        """``fn()``, retried while the file is locked, for up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01 + random.random() * 0.04)

    # -- dialect hooks -------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(sql, params)

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def _date_param(self, day: date) -> Any:
        return day.isoformat()

    def _date_value(self, value: Any) -> date:
        return date.fromisoformat(value)

    def _begin_sql(self) -> str:
        return "BEGIN IMMEDIATE"

    def _rollback_quietly(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # nothing to roll back, or connection gone
            self.db.execute("ROLLBACK")

    # -- schema --------------------------------------------------------------------
    def _migrate(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = self.db.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            current = int(current or 0)
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: history schema version {current} is newer than this "
                    f"edi837 knows ({SCHEMA_VERSION}); upgrade edi837"
                )
            for version, step in enumerate(MIGRATIONS[current:], current + 1):
                for statement in step.sqlite:
                    self.db.execute(statement)
                self.db.execute(
                    f"INSERT INTO schema_version VALUES (?, ?, {self.NOW})",
                    (version, step.description),
                )
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback_quietly()
            raise

    # -- the interface ---------------------------------------------------------------
    def lock_patients(self, patient_keys: Iterable[str]) -> None:
        """Register the patients; no lock to take: ``BEGIN IMMEDIATE`` already holds the
        whole file's write lock. Keys are streamed (the judge passes one chunk)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO patient (patient_key) VALUES (?)", ((k,) for k in patient_keys)
        )

    def next_control_number(self, kind: str) -> int:
        if self._in_tx:
            return int(self.db.execute(self._COUNTER_SQL, (kind,)).fetchall()[0][0])
        # Its own BEGIN IMMEDIATE: a deferred write in WAL mode can fail at once ("database
        # is locked") when another connection wrote since it started reading.
        self.db.execute("BEGIN IMMEDIATE")
        try:
            value = int(self.db.execute(self._COUNTER_SQL, (kind,)).fetchall()[0][0])
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback_quietly()
            raise
        return value

    def close(self) -> None:
        self.rollback()
        self.db.close()
