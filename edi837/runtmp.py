"""One private folder per run for every temporary file, and nothing left behind.

The spooled standard input, the digest spool (``edi837-spool-*.db``), the judged
findings (``edi837-judged-*.db``) and the writers' spills hold full claims with names
and member ids. They all live in one folder, ``edi837-run-<pid>-<random>`` in the
system temporary folder, mode 0700, created on first use and removed when the process
exits: normally (``atexit``), and on SIGTERM and SIGHUP once the command line has
installed ``install_signal_handlers`` (the handlers raise ``SystemExit``, so every
``finally`` and ``atexit`` runs). A SIGKILL cannot be caught: at start, the folders of
runs whose process is gone and that are older than an hour are removed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

PREFIX = "edi837-run-"
STALE_AFTER = 3600.0  # seconds: a dead run's folder younger than this is left alone
_NAME = re.compile(rf"{re.escape(PREFIX)}(\d+)-")
_lock = threading.Lock()
_folder: str | None = None
_owner = 0


def run_dir() -> str:
    """This process's private temporary folder (created, and stale ones swept, on first
    use)."""
    global _folder, _owner
    with _lock:
        if _folder is None or _owner != os.getpid() or not os.path.isdir(_folder):
            sweep_stale()
            _folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")  # mode 0700
            if _owner == 0:
                atexit.register(cleanup)
            _owner = os.getpid()
        return _folder


def cleanup() -> None:
    """Remove this process's folder (a forked child never removes its parent's)."""
    global _folder
    with _lock:
        if _folder is not None and _owner == os.getpid():
            shutil.rmtree(_folder, ignore_errors=True)
            _folder = None


def pid_alive(pid: int) -> bool:
    """Whether a process of this id exists (one we may not signal still exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(base: str | None = None, *, older_than: float = STALE_AFTER) -> list[str]:
    """Remove the run folders of dead processes older than ``older_than`` seconds."""
    removed = []
    folder = Path(base or tempfile.gettempdir())
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            found = _NAME.match(entry.name)
            if not found or int(found.group(1)) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if (
                    entry.is_dir()
                    and not entry.is_symlink()
                    and now - entry.lstat().st_mtime > older_than
                    and not pid_alive(int(found.group(1)))
                ):
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(str(entry))
    return removed


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP end the run through ``SystemExit`` (cleanup runs). Only from
    the main thread, and only where nobody else set a handler."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _exit_on_signal)
