"""Interchange control numbers that never repeat: one counter for every file written.

ISA13 (and the GS06/ST02 derived from it) must be unique per sender, across every
acknowledgment and split file we send -- a 277CA and a 999 answering the same input must
not share ``000000001``, nor may tomorrow's run restart at 1. So every kind of output
(277CA, 999, TA1, accepted/rejected 837s) draws from **one** sequence:

* by default a counter file, ``$EDI837_HOME/control-number`` (else
  ``$XDG_DATA_HOME/edi837/control-number``, else ``~/.local/share/edi837/...``), holding
  the last number handed out. Each draw takes an exclusive ``fcntl.flock`` on the file,
  reads, adds and writes it back before unlocking, so concurrent processes on one
  machine never get the same number; it is used with or without a history store
  (``--no-history`` runs continue the sequence);
* with a PostgreSQL history (workers on several machines, where a local file would not
  be shared) the store's own counter, kind ``interchange``, is the sequence instead;
* ``--control-number N`` overrides both: numbers count up from N in this run.

Numbers wrap from 999999999 back to 1 (ISA13 is nine digits).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from edi837.errors import Edi837Error

MAX_CONTROL = 999_999_999
COUNTER_FILE = "control-number"
STORE_KIND = "interchange"  # the store counter shared by every output kind


def default_counter_path() -> Path:
    """Where the counter file lives: next to the default history file."""
    home = os.environ.get("EDI837_HOME")
    if home:
        return Path(home).expanduser() / COUNTER_FILE
    data = os.environ.get("XDG_DATA_HOME") or os.path.join("~", ".local", "share")
    return Path(data).expanduser() / "edi837" / COUNTER_FILE


class FileCounter:
    """A control-number counter in a small text file, safe across processes (flock)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_counter_path()

    def take(self, count: int = 1) -> int:
        """Reserve ``count`` consecutive numbers; return the first (wrapping at 9 digits)."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise Edi837Error(
                f"cannot open the control-number counter {self.path}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            if text and not text.isdigit():
                raise Edi837Error(
                    f"{self.path}: control-number counter holds {text[:20]!r}, not a number"
                )
            last = int(text) if text else 0
            first = last % MAX_CONTROL + 1
            new_last = (last + count - 1) % MAX_CONTROL + 1
            data = f"{new_last}\n".encode("ascii")
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
            return first
        finally:
            os.close(fd)  # closing releases the lock


class ControlNumbers:
    """Hands out interchange control numbers for one run: from ``--control-number`` up,
    else from a shared counter."""

    def __init__(self, start: int | None, counter: Callable[[], int] | None = None) -> None:
        self.next = start
        self.counter = counter

    def take(self, kind: str = "") -> int:
        """A fresh number (``kind`` names the output asking: 277CA, 999, TA1, split)."""
        if self.next is not None:
            number = self.next
            self.next = self.next % MAX_CONTROL + 1
            return number
        if self.counter is not None:
            return self.counter()
        raise Edi837Error("no control number: pass --control-number or use a counter")

    def drawer(self, kind: str = "") -> Callable[[], int]:
        """``take`` bound to one kind, for writers that draw per interchange."""
        return lambda: self.take(kind)


def control_numbers(
    start: int | None,
    store: object | None = None,
    counter_path: str | os.PathLike[str] | None = None,
) -> ControlNumbers:
    """The run's control numbers: ``start`` (``--control-number``) if given, else the
    PostgreSQL store's counter for a shared store, else the local counter file."""
    if start is not None:
        return ControlNumbers(start)
    if store is not None and type(store).__module__.endswith(".postgres"):
        return ControlNumbers(
            None, lambda: (store.next_control_number(STORE_KIND) - 1) % MAX_CONTROL + 1
        )
    return ControlNumbers(None, FileCounter(counter_path).take)
