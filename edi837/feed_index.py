"""A reference feed too big for memory, as a temporary SQLite table looked up by key.

A 1M-row authorization feed held as Python objects takes about a gigabyte; as a SQLite
file in the run's private folder (``runtmp.run_dir()``, removed when the process exits)
it takes a few megabytes of page cache. Rows are written with ``executemany`` in one
transaction, without a journal (the file is rebuilt from the CSV if anything goes
wrong), and the key indexes are built once after the last row, which is faster than
keeping them up to date row by row. The ``line`` column is the row's line number in the
CSV and the table's rowid, so rows of one key come back in file order.

The index is read-only once built, so it may be shared: by threads (one connection,
queries under a lock), by a forked child (which reopens the file, since a SQLite
connection must not cross a fork) and by Spark executors, which receive it pickled as
the file's bytes and write them into their own run folder.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from edi837.runtmp import run_dir

Row = tuple[Any, ...]


class FeedIndex:
    """One table ``feed`` (``line INTEGER PRIMARY KEY`` plus ``columns``), indexed on
    each of ``keys`` once ``finish`` is called."""

    def __init__(self, columns: Sequence[str], keys: Sequence[str], *, path: str = "") -> None:
        self.columns = tuple(columns)
        self.keys = tuple(keys)
        self._lock = threading.Lock()
        if path:
            self.path = path
        else:
            fd, self.path = tempfile.mkstemp(prefix="edi837-feed-", suffix=".db", dir=run_dir())
            os.close(fd)
        self.finished = bool(path)  # rows may be added until ``finish``
        self._pid = os.getpid()
        self._db = self._connect()
        # The file goes when the index does (or at exit with the run folder).
        self._finalizer = weakref.finalize(self, _remove, self._db, self.path, self._pid)
        if not path:
            self._db.execute("PRAGMA journal_mode=OFF")
            self._db.execute("PRAGMA synchronous=OFF")
            names = ", ".join(self.columns)
            self._db.execute(f"CREATE TABLE feed (line INTEGER PRIMARY KEY, {names})")
            self._db.execute("BEGIN")
        marks = ", ".join("?" * (len(self.columns) + 1))
        self._insert = f"INSERT INTO feed VALUES ({marks})"

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA cache_size=-8000")  # KiB: bounds the page cache (and the sort)
        return db

    def add(self, rows: Iterable[Row]) -> None:
        """Append rows ``(line, *columns)``; one transaction until ``finish``."""
        self._db.executemany(self._insert, rows)

    def finish(self) -> None:
        """Commit and build the key indexes; the index is read-only afterwards."""
        for key in self.keys:
            self._db.execute(f"CREATE INDEX feed_{key} ON feed ({key})")
        self._db.execute("COMMIT")
        self._db.execute("PRAGMA query_only=ON")
        self.finished = True

    def __len__(self) -> int:
        return self._query("SELECT count(*) FROM feed", ())[0][0]

    def distinct(self, key: str) -> int:
        """How many different values the ``key`` column holds."""
        if key not in self.keys:
            raise ValueError(f"{key!r} is not an indexed column")
        return self._query(f"SELECT count(DISTINCT {key}) FROM feed", ())[0][0]

    def lookup(self, key: str, value: str) -> list[Row]:
        """Rows whose ``key`` column is ``value``, in file order (``line`` first)."""
        if key not in self.keys:
            raise ValueError(f"{key!r} is not an indexed column")
        return self._query(f"SELECT * FROM feed WHERE {key} = ? ORDER BY line", (value,))

    def repeats(self, key: str) -> Iterator[tuple[Row, Row]]:
        """(first row, later row) for every row whose ``key`` an earlier row has."""
        sql = (
            f"WITH firsts AS (SELECT {key} AS k, min(line) AS line FROM feed "
            f"GROUP BY {key} HAVING count(*) > 1) "
            "SELECT f.*, l.* FROM firsts "
            "JOIN feed AS f ON f.line = firsts.line "
            f"JOIN feed AS l ON l.{key} = firsts.k AND l.line > firsts.line "
            "ORDER BY l.line"
        )
        width = len(self.columns) + 1
        for row in self._query(sql, ()):
            yield row[:width], row[width:]

    def _query(self, sql: str, args: tuple) -> list[Row]:
        with self._lock:
            if self._pid != os.getpid():  # forked: never share the parent's connection
                self._db = self._connect()
                self._pid = os.getpid()
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        """Close the connection and remove the file now (else at garbage collection)."""
        self._finalizer()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the file's bytes (a Spark broadcast), rebuilt in the receiver's
        own run folder."""
        return (_from_bytes, (self.columns, self.keys, Path(self.path).read_bytes()))


def _from_bytes(columns: Sequence[str], keys: Sequence[str], data: bytes) -> FeedIndex:
    fd, path = tempfile.mkstemp(prefix="edi837-feed-", suffix=".db", dir=run_dir())
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return FeedIndex(columns, keys, path=path)


def _remove(db: sqlite3.Connection, path: str, pid: int) -> None:
    if pid != os.getpid():
        return  # a forked child leaves its parent's file alone
    with contextlib.suppress(sqlite3.Error):
        db.close()
    with contextlib.suppress(OSError):
        os.unlink(path)
