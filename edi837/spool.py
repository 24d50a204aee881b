"""A disk-backed queue of claim digests, read back grouped by patient in judging order.

The frequency rules need every S-code claim of a patient before judging any, and a
batch can hold millions of claims. Digests go to a temporary SQLite file (not memory),
indexed by (patient, date, rank, input order), so memory stays flat at any batch size.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from itertools import groupby

from edi837.judge import Digest, sort_key
from edi837.runtmp import run_dir

_BATCH = 2000
_FILE = 5  # position of the file index in a pending row


class DigestSpool:
    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="edi837-spool-", suffix=".db", dir=run_dir())
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            "CREATE TABLE digest (patient TEXT, day INTEGER, rank INTEGER, claim TEXT, "
            "key INTEGER, file INTEGER, body BLOB)"
        )
        self._pending: list[tuple] = []
        self.count = 0

    def add(self, file_index: int, digest: Digest) -> None:
        patient, day, rank, claim, key = sort_key(digest)
        self._pending.append(
            (
                patient,
                day,
                rank,
                claim,
                key,
                file_index,
                pickle.dumps(digest, pickle.HIGHEST_PROTOCOL),
            )
        )
        self.count += 1
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.db.executemany("INSERT INTO digest VALUES (?,?,?,?,?,?,?)", self._pending)
            self._pending.clear()

    def drop_file(self, file_index: int) -> None:
        """Forget a file's digests (the file turned out unreadable part-way)."""
        self._pending = [row for row in self._pending if row[_FILE] != file_index]
        self.db.execute("DELETE FROM digest WHERE file = ?", (file_index,))

    def by_patient(self) -> Iterator[tuple[str, Iterator[Digest]]]:
        """(patient, digests in judging order), one patient at a time."""
        self._flush()
        self._index()
        rows = self.db.execute(
            "SELECT patient, body FROM digest ORDER BY patient, day, rank, claim, key"
        )
        for patient, group in groupby(rows, key=lambda row: row[0]):
            yield patient, (pickle.loads(body) for _, body in group)

    def patients(self) -> Iterator[str]:
        """The patient keys in ``by_patient`` order (code points), streamed from a cursor
        of their own: the judge reads a chunk of them ahead to lock and prefetch."""
        self._flush()
        self._index()
        for (patient,) in self.db.execute("SELECT DISTINCT patient FROM digest ORDER BY 1"):
            yield patient

    def _index(self) -> None:
        self.db.execute(
            "CREATE INDEX IF NOT EXISTS by_patient ON digest (patient, day, rank, claim, key)"
        )

    def close(self) -> None:
        self.db.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
