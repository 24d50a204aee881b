"""Write an output so that it appears whole or not at all, and never clobber a device.

Every file edi837 writes (report, 277CA, 999, splits, annotated copy, Parquet tables,
history export, generated 837s) goes through ``atomic_open`` or ``atomic_path``:

* the bytes go to a temporary file with a unique name (``tempfile.mkstemp``) beside the
  target, so two runs writing the same ``-o`` at once never share a temporary file;
* on success the temporary is flushed, synced and renamed over the target
  (``os.replace``): a reader sees the old file or the new one, never half of one, and of
  concurrent writers the last rename wins with a complete file;
* on any failure the temporary is removed and the target left as it was;
* parent folders are created;
* a target that exists and is not a regular file (a character or block device such as
  ``/dev/null``, a FIFO, a socket) is opened and written directly: renaming over it would
  replace the device with a regular file;
* ``-`` (standard output) and URLs are handled one level up, by
  ``edi837.sources.open_output``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

STDOUT = "-"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def is_special(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` exists and is not a regular file or folder (device, FIFO, socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _temporary(target: Path) -> tuple[int, str]:
    target.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)


def _commit(tmp: str, target: Path) -> None:
    os.chmod(tmp, 0o666 & ~_UMASK)
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    encoding: str = "utf-8",
    newline: str | None = "",
    buffering: int = -1,
) -> Iterator[IO]:
    """Open ``path`` for writing (``mode`` ``"w"`` text or ``"wb"`` bytes), atomically.

    The handle is closed by the context; leaving it with an exception leaves the target
    untouched (a device or FIFO is written directly, so what was written stays written).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes only ('w' or 'wb'), not {mode!r}")
    text = {} if mode == "wb" else {"encoding": encoding, "newline": newline}
    target = Path(path)
    if is_special(target):
        with open(target, mode, buffering=buffering, **text) as handle:
            yield handle
        return
    fd, tmp = _temporary(target)
    try:
        with os.fdopen(fd, mode, buffering=buffering, **text) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _commit(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """A path to write ``path``'s new content to, for writers that want a file name
    (pyarrow): renamed into place on success, removed on failure. A device or FIFO
    target is handed over as it is."""
    target = Path(path)
    if is_special(target):
        yield str(target)
        return
    fd, tmp = _temporary(target)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        _commit(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
