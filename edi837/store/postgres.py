"""The shared history store: PostgreSQL, for workers on several processes or machines.

URL: any libpq URL (``postgresql://user@host:5432/db?sslmode=require``) plus an optional
``schema=NAME`` query parameter: the tables live in that schema (created on first use),
so several independent stores can share one database. Without it, the connection's own
``search_path`` decides (e.g. ``options=-csearch_path%3Dedi837``, or ``public``).

Locking. One run (the judge step of one screening) is one transaction, READ COMMITTED.
The judge locks the run's patients in chunks as it goes (``LOCK_CHUNK`` keys, chunks in
ascending order): ``lock_patients`` upserts a chunk's keys into ``patient``, then takes
a row lock on each (``SELECT ... WHERE patient_key = ANY(...) ORDER BY patient_key
COLLATE "C" FOR UPDATE``), both in code-point order, so every worker takes its locks in
one global order and two workers sharing patients queue behind each other rather than
deadlock. Row locks live in the rows, not in the shared lock table:
a run of 100,000 patients does not overflow ``max_locks_per_transaction`` (one advisory
lock per patient would). A worker that gets a patient's lock reads the patient's
services afterwards, and READ COMMITTED gives it what the previous holder committed. A
deadlock or serialization failure that still happens (say, an administrator's
transaction in the way) aborts the run; ``run_in_transaction`` retries it. A killed
worker's connection drops, and the server rolls its transaction back and frees its locks.
A worker waits for another's patients as long as that run lasts; to bound the wait, add
``options=-clock_timeout%3D5min`` to the URL: a lock timeout is retried like a deadlock.

Control numbers come from a second, autocommit connection: each ``next_control_number``
is its own short transaction (one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
statement) that never waits for a run's patient locks. A number once handed out is never
handed out again, even if the run that asked for it rolls back: gaps are possible,
duplicates are not.

Migrations run on open inside ``pg_advisory_xact_lock`` (one lock, keyed by schema), so
workers opening a fresh store at the same moment apply them once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from edi837.store.base import LOCK_CHUNK
from edi837.store.migrations import MIGRATIONS, SCHEMA_VERSION
from edi837.store.schema import (
    _CLAIM_COLUMNS,
    _SERVICE_COLUMNS,
    _UPSERT_CLAIM,
    SqlHistory,
    StoreError,
)
from edi837.store.schema import describe_url as masked

_LOCK_CLASS = 8370837  # first key of the migration advisory lock ("837 0 837")

_SERVICE_TYPES = ("text", "text", "int", "text", "text", "date", "int", "text", "int")
_BULK_INSERT_SERVICE = (
    f"INSERT INTO service ({', '.join(_SERVICE_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"%s::{t}[]" for t in (*_SERVICE_TYPES, *["text"] * (len(_SERVICE_COLUMNS) - 9)))
    + ")"
)
_BULK_UPSERT_CLAIM = (
    f"INSERT INTO claim (patient_key, origin, {', '.join(_CLAIM_COLUMNS)}, recorded_at)"
    " SELECT t.*, now() FROM unnest("
    + ", ".join(["%s::text[]"] * (len(_CLAIM_COLUMNS) + 2))
    + ") AS t"
    + _UPSERT_CLAIM[_UPSERT_CLAIM.index(" ON CONFLICT") :]
)
_BULK_DELETE_SERVICE = (
    "DELETE FROM service s USING unnest(%s::text[], %s::text[]) AS t(p, o)"
    " WHERE s.patient_key = t.p AND s.source = t.o"
)


def split_schema(url: str) -> tuple[str, str | None]:
    """(libpq URL without ``schema=``, schema name or None)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = None
    kept = []
    for key, value in query:
        if key == "schema":
            schema = value or None
        else:
            kept.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(kept))), schema


class PostgresHistory(SqlHistory):
    dialect = "postgres"
    NOW = "now()"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.conninfo, self.schema = split_schema(url)
        self._side: psycopg.Connection | None = None
        self._pipeline: psycopg.Pipeline | None = None
        self._sql_cache: dict[str, str] = {}
        self.conn = self._connect()
        try:
            self._migrate()
        except StoreError:
            self.conn.close()
            raise
        except psycopg.Error as exc:
            self.conn.close()
            raise StoreError(
                f"{masked(url)}: cannot prepare the history schema: {str(exc).strip()}"
            ) from None

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"{masked(self.url)}: cannot connect: {str(exc).strip()}") from None
        if self.schema:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        return conn

    # -- dialect hooks -------------------------------------------------------------
    def _sql(self, text: str) -> str:
        out = self._sql_cache.get(text)
        if out is None:
            out = self._sql_cache[text] = text.replace("%", "%%").replace("?", "%s")
        return out

    def _execute(self, text: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self._sql(text), tuple(params))  # type: ignore[arg-type]

    def _executemany(self, text: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(self._sql(text), list(rows))  # type: ignore[arg-type]

    def _keys_in(self, column: str, keys: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        return f"{column} = ANY(?::text[])", (list(keys),)

    def _rollback_quietly(self) -> None:
        with contextlib.suppress(psycopg.Error):  # nothing to roll back, or connection gone
            self.conn.execute("ROLLBACK")

    # -- schema --------------------------------------------------------------------
    def _migrate(self) -> None:
        conn = self.conn
        conn.execute("BEGIN")
        try:
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.schema or "")
            )
            if self.schema:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
                )
            if conn.execute("SELECT current_schema()").fetchone()[0] is None:  # type: ignore[index]
                raise StoreError(
                    f"{masked(self.url)}: no schema of the search_path exists; create it, "
                    "or name one with ?schema=NAME"
                )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            current = int(row[0] or 0)  # type: ignore[index]
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{masked(self.url)}: history schema version {current} is newer than "
                    f"this edi837 knows ({SCHEMA_VERSION}); upgrade edi837"
                )
            for version, step in enumerate(MIGRATIONS[current:], current + 1):
                for statement in step.postgres:
                    conn.execute(statement)  # type: ignore[arg-type]
                conn.execute(
                    "INSERT INTO schema_version VALUES (%s, %s, now())", (version, step.description)
                )
            conn.execute("COMMIT")
        except BaseException:
            self._rollback_quietly()
            raise

    # -- transactions: pipelined -------------------------------------------------------
    # Inside a run the connection is in pipeline mode: the judge's writes (record,
    # withdraw) are queued and go to the server together with its next read (services),
    # one round trip per patient instead of one per statement. Errors surface at the next
    # read or at commit, and abort the whole transaction either way.
    def begin(self) -> None:
        super().begin()
        self._pipeline = self.conn.pipeline()
        self._pipeline.__enter__()

    def commit(self) -> None:
        if self._in_tx:
            try:
                self._end_pipeline()
            except BaseException:
                self.rollback()
                raise
            super().commit()

    def rollback(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._end_pipeline()
        super().rollback()

    def _end_pipeline(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.__exit__(None, None, None)

    # -- bulk writes: one statement per table and flush -----------------------------
    # psycopg's executemany sends one statement per row; unnest() of one array per
    # column writes a whole flush (a chunk of patients) in one statement per table. A
    # flush never holds two rows of one (patient, origin) (see SqlHistory.record), so
    # the upsert never meets its own row twice.
    _BULK_ROWS = 5000

    def _write_rows(self, kind: str, sql: str, rows: list[tuple[Any, ...]]) -> None:
        bulk = {
            "claims": _BULK_UPSERT_CLAIM,
            "deletes": _BULK_DELETE_SERVICE,
            "services": _BULK_INSERT_SERVICE,
        }.get(kind)
        if bulk is None:
            super()._write_rows(kind, sql, rows)
            return
        for start in range(0, len(rows), self._BULK_ROWS):
            part = rows[start : start + self._BULK_ROWS]
            self.conn.execute(bulk, [list(column) for column in zip(*part, strict=True)])

    # -- the interface ---------------------------------------------------------------
    def lock_patients(self, patient_keys: Iterable[str]) -> None:
        """Row-lock these patients, in code-point order of their keys, until commit or
        rollback: at most ``LOCK_CHUNK`` keys per statement. The judge calls it once per
        chunk, chunks ascending, so every worker takes its locks in one global order
        (``COLLATE "C"``: the code-point order of the chunks, whatever the database's
        collation) and two workers sharing patients queue rather than deadlock."""
        if not self._in_tx:
            raise StoreError("lock_patients needs an open transaction (call begin() first)")
        keys = sorted(set(patient_keys))
        for start in range(0, len(keys), LOCK_CHUNK):
            chunk = keys[start : start + LOCK_CHUNK]
            self.conn.execute(
                "INSERT INTO patient (patient_key) SELECT k FROM unnest(%s::text[]) AS t(k)"
                ' ORDER BY k COLLATE "C" ON CONFLICT DO NOTHING',
                (chunk,),
            )
            self.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM patient WHERE patient_key = ANY(%s::text[])"
                ' ORDER BY patient_key COLLATE "C" FOR UPDATE) AS locked',
                (chunk,),
            )

    def next_control_number(self, kind: str) -> int:
        if self._side is None or self._side.closed:
            self._side = self._connect()
        row = self._side.execute(self._sql(self._COUNTER_SQL), (kind,)).fetchone()
        return int(row[0])  # type: ignore[index]

    def close(self) -> None:
        self.rollback()
        self.conn.close()
        if self._side is not None:
            self._side.close()
