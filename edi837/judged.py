"""The judge's timeline findings, kept until the answer pass needs them, in flat memory.

Step 2 judges patient by patient, so its findings come out in patient order; step 3
answers claim by claim, in input order. In between, a batch of millions of claims must
not become a dict of millions of entries: findings are held in memory for the first
``limit`` claims, then spooled to a SQLite file in the run's private folder and read
back, file by file, in claim-key order (one sequential cursor per file, no lookups).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping

from edi837.runtmp import run_dir
from edi837.verdicts import Finding

_SHIFT = 32  # claim key = file index << 32 | claim index (see screening.claim_key)
LIMIT = 2000  # claims with findings held in memory before spooling


class JudgedFindings:
    """Timeline findings by claim key (only claims that have some)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit or LIMIT
        self._memory: dict[int, list[Finding]] = {}
        self._db: sqlite3.Connection | None = None
        self._path = ""
        self.count = 0

    def add(self, key: int, findings: list[Finding]) -> None:
        self._memory[key] = findings
        self.count += 1
        if len(self._memory) >= self.limit:
            self._flush()

    def update(self, items: Mapping[int, list[Finding]] | Iterator[tuple[int, list[Finding]]]):
        """Add many (the Spark driver's collected findings)."""
        pairs = items.items() if isinstance(items, Mapping) else items
        for key, findings in pairs:
            self.add(key, findings)

    def clear(self) -> None:
        """Forget everything (the store retries the judging transaction from scratch)."""
        self._memory.clear()
        self.count = 0
        if self._db is not None:
            self._db.execute("DELETE FROM judged")

    def _flush(self) -> None:
        if self._db is None:
            fd, self._path = tempfile.mkstemp(prefix="edi837-judged-", suffix=".db", dir=run_dir())
            os.close(fd)
            self._db = sqlite3.connect(self._path)
            self._db.execute("PRAGMA journal_mode=OFF")
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute("CREATE TABLE judged (key INTEGER PRIMARY KEY, body BLOB)")
        self._db.executemany(
            "INSERT OR REPLACE INTO judged VALUES (?, ?)",
            ((k, pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for k, v in self._memory.items()),
        )
        self._memory.clear()

    def for_file(self, index: int) -> Mapping[int, list[Finding]] | _InOrder:
        """What ``answer_file`` looks claims up in: ``.get(key, default)`` with keys asked
        in increasing order (a sequential read of the spool)."""
        if self._db is None:
            return self._memory
        self._flush()
        rows = self._db.execute(
            "SELECT key, body FROM judged WHERE key >= ? AND key < ? ORDER BY key",
            (index << _SHIFT, (index + 1) << _SHIFT),
        )
        return _InOrder(rows)

    def get(self, key: int, default: list[Finding] | None = None) -> list[Finding] | None:
        """One claim's findings (random access; the answer pass uses ``for_file``)."""
        if key in self._memory:
            return self._memory[key]
        if self._db is not None:
            row = self._db.execute("SELECT body FROM judged WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return pickle.loads(row[0])
        return default

    def __len__(self) -> int:
        return self.count

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            with contextlib.suppress(OSError):
                os.unlink(self._path)


class _InOrder:
    """``get`` over a cursor sorted by key, for keys asked in increasing order."""

    def __init__(self, rows: Iterator[tuple[int, bytes]]) -> None:
        self._rows = rows
        self._next = next(rows, None)

    def get(self, key: int, default: list[Finding] | None = None) -> list[Finding] | None:
        row = self._next
        while row is not None and row[0] < key:
            row = next(self._rows, None)
        self._next = row
        if row is not None and row[0] == key:
            return pickle.loads(row[1])
        return default
