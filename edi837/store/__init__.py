"""Screening history: where accepted S-code services are remembered across runs.

``open_store(url)`` picks the backend from a URL:

=================================  =========================================================
``None``, ``""`` or ``"none"``     ``MemoryStore``: nothing outlives the run
``sqlite:///relative/path.db``     SQLite file, relative to the working directory
``sqlite:////absolute/path.db``    SQLite file, absolute (SQLAlchemy's convention: the
                                   path is whatever follows ``sqlite:///``)
``sqlite:///~/edi837.db``          ``~`` is expanded
``sqlite:///:memory:``             SQLite in memory (one connection; tests)
``/some/path.db`` (no scheme)      the same as ``sqlite:///`` + that path
``postgresql://...``               PostgreSQL (also ``postgres://``); add ``?schema=NAME``
                                   to keep the tables in their own schema (created on first
                                   use); ``?timeout=`` is for SQLite only
=================================  =========================================================

The default store, used by the ``history`` commands when neither ``--history`` nor
``$EDI837_HISTORY`` names one, is ``default_history_url()``: the SQLite file
``$EDI837_HOME/history.db`` if ``EDI837_HOME`` is set, else
``$XDG_DATA_HOME/edi837/history.db``, else ``~/.local/share/edi837/history.db``; its
directory and tables are created on first use. Stores migrate their schema on open.

Concurrency: one screening run's verdicts are one transaction. Wrap the step that runs
it with ``run_in_transaction(store, fn)``: a deadlock, serialization failure or a busy
SQLite file rolls the attempt back and runs ``fn`` again (a few times, with jittered
back-off), so workers that collide on patients still each get every claim judged once.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qsl

from edi837.store.base import ClaimRecord, HistoryStore, MemoryHistory
from edi837.timeline import Service

if TYPE_CHECKING:
    from edi837.store.schema import SCHEMA_VERSION, SqlHistory, StoreError, describe_url

__all__ = [
    "SCHEMA_VERSION",
    "ClaimRecord",
    "HistoryStore",
    "MemoryHistory",
    "MemoryStore",
    "SqlHistory",
    "StoreError",
    "default_history_url",
    "describe_url",
    "is_transient",
    "open_store",
    "retry_transient",
    "run_in_transaction",
]

T = TypeVar("T")

# The SQL store's names, imported on first use: a --no-history run does not need them.
_FROM_SCHEMA = frozenset(("SCHEMA_VERSION", "SqlHistory", "StoreError", "describe_url"))


def __getattr__(name: str):
    if name in _FROM_SCHEMA:
        from edi837.store import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MemoryStore(MemoryHistory):
    """The ``--no-history`` store: only the patient being judged, and control-number
    counters (which restart every run).

    The judge takes a run's patients one at a time and never comes back to one (see
    ``edi837.store.base``), and what it needs of a patient's earlier claims in this run
    it keeps itself until it moves on; so this store forgets a patient as soon as another
    is asked for, and everything at ``begin()``: memory stays flat at any batch size, and
    each run is judged alone, as it would be against an empty history. Nothing reads the
    store after a run (the ``history`` commands refuse it). Seed or inspect a history in
    memory with ``MemoryHistory``, which keeps every patient.
    """

    def __init__(self) -> None:
        super().__init__()
        self.counters: dict[str, int] = {}
        self._patient: str | None = None

    def next_control_number(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    def _focus(self, patient_key: str | None) -> None:
        if patient_key != self._patient:
            self.by_patient.clear()
            self.records.clear()
            self.withdrawn.clear()
            self._patient = patient_key

    def begin(self) -> None:
        self._focus(None)

    def services(self, patient_key: str) -> list[Service]:
        self._focus(patient_key)
        return super().services(patient_key)

    def claims(self, patient_key: str) -> dict[str, ClaimRecord]:
        self._focus(patient_key)
        return super().claims(patient_key)

    def withdrawn_services(self, patient_key: str, by: str) -> list[Service]:
        self._focus(patient_key)
        return super().withdrawn_services(patient_key, by)

    def record(self, record: ClaimRecord) -> None:
        self._focus(record.patient_key)
        super().record(record)

    def withdraw(self, patient_key: str, origins: Iterable[str], by: str = "") -> None:
        self._focus(patient_key)
        super().withdraw(patient_key, origins, by)


def default_history_path() -> Path:
    home = os.environ.get("EDI837_HOME")
    if home:
        return Path(home).expanduser() / "history.db"
    data = os.environ.get("XDG_DATA_HOME") or os.path.join("~", ".local", "share")
    return Path(data).expanduser() / "edi837" / "history.db"


def default_history_url() -> str:
    """``sqlite:///`` + the default history file (see the module docstring)."""
    return f"sqlite:///{default_history_path()}"


def open_store(url: str | None) -> HistoryStore:
    """Open (creating and migrating if needed) the history store a URL names."""
    if url is None or url.strip().lower() in ("", "none"):
        return MemoryStore()
    from edi837.store.schema import StoreError, describe_url

    url = url.strip()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("postgresql", "postgres"):
        try:
            from edi837.store.postgres import PostgresHistory
        except ImportError:
            raise StoreError(
                "a postgresql:// history needs psycopg: pip install 'edi837[postgres]'"
            ) from None
        return PostgresHistory(url)
    if scheme == "sqlite":
        rest = url[len("sqlite://") :]
        if not rest.startswith("/"):
            raise StoreError(
                f"{url}: a SQLite URL is sqlite:///PATH "
                "(sqlite:////abs/path.db for an absolute path)"
            )
        rest = rest[1:]
        path, _, query = rest.partition("?")
        params = dict(parse_qsl(query))
        unknown = sorted(set(params) - {"timeout"})
        if unknown:
            raise StoreError(f"{url}: unknown SQLite URL parameter(s) {', '.join(unknown)}")
        if not path:
            raise StoreError(f"{url}: no file name")
        from edi837.store.sqlite import DEFAULT_TIMEOUT, SqliteHistory

        try:
            timeout = float(params.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            raise StoreError(f"{url}: timeout must be a number of seconds") from None
        if path != ":memory:":
            path = str(Path(path).expanduser())
        return SqliteHistory(path, url=url, timeout=timeout)
    if scheme:
        raise StoreError(
            f"{describe_url(url)}: unknown history URL scheme {scheme!r}; use "
            "sqlite:///PATH, postgresql://... or none"
        )
    from edi837.store.sqlite import SqliteHistory

    return SqliteHistory(str(Path(url).expanduser()))


def is_transient(exc: BaseException) -> bool:
    """A failure that retrying the whole transaction can cure: a PostgreSQL deadlock,
    serialization failure or lock timeout, or a SQLite file busy past its timeout."""
    import sqlite3

    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if getattr(e, "sqlstate", None) in ("40001", "40P01", "55P03"):
            return True
        if isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e)):
            return True
        e = e.__cause__ or e.__context__
    return False


def retry_transient(
    store: HistoryStore, fn: Callable[[], T], *, attempts: int = 5, backoff: float = 0.05
) -> T:
    """Call ``fn`` (which opens and commits its own transaction on ``store``, e.g. a whole
    ``Screening``); after a transient failure, roll back and call it again, up to
    ``attempts`` times in all. Any other exception propagates at once."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            store.rollback()
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(min(backoff * 2 ** (attempt - 1), 2.0) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def run_in_transaction(
    store: HistoryStore, fn: Callable[[], T], *, attempts: int = 5, backoff: float = 0.05
) -> T:
    """Run ``fn`` in one store transaction: ``begin()``, ``fn()``, ``commit()``; any
    exception rolls back. Transient failures (see ``is_transient``) run it all again, so
    ``fn`` must be safe to repeat (rebuild what it computes; do not stream it out)."""

    def once() -> T:
        store.begin()
        try:
            result = fn()
            store.commit()
        except BaseException:
            store.rollback()
            raise
        return result

    return retry_transient(store, once, attempts=attempts, backoff=backoff)
