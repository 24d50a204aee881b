"""Drop-folder batch mode: any number of workers drain one inbox safely.

Files arrive in ``inbox/`` (by SFTP, say). A worker *claims* a file by renaming it into
its own folder under ``outbox/work/`` -- a rename is atomic, so two workers (on one
machine or several sharing the folder) never take the same file. It screens the file
against the shared history store and writes, each atomically:

* ``outbox/accepted/NAME`` and ``outbox/rejected/NAME``: the split 837s;
* ``outbox/acks/NAME.277ca``, ``outbox/acks/NAME.999`` and, when due (ISA14 = 1 or an
  interchange envelope error), ``outbox/acks/NAME.ta1``;
* ``outbox/reports/NAME.json``: the JSON report (every claim with its trace id);

then moves the input to ``outbox/done/`` (or ``outbox/failed/`` when it could not be
read). A worker killed mid-file leaves the file in its work folder; the next worker to
look finds the folder abandoned (its process is gone, or its heartbeat is stale) and
takes the file up again. The history store makes the re-run idempotent: the claims are
counted once.

**Only settled files are taken.** SFTP and managed-file-transfer servers write in place,
so a file still arriving is a regular file of growing length. A worker claims a file once
its size and modification time have stayed the same for ``settle`` seconds (default
``SETTLE_SECONDS``) of its own observation; names ending in ``.part``, ``.partial``,
``.filepart`` or ``.tmp`` and names starting with ``.`` (the usual in-progress names) are
never taken. Senders that can signal completion use ``ready_suffix`` (``.ok``): ``X`` is
claimed only once ``X.ok`` exists, and both are moved together.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from edi837.checking import check
from edi837.control import control_numbers
from edi837.errors import Edi837Error
from edi837.observe import FileEvent
from edi837.outputs import OutputOptions
from edi837.rules.context import RunContext
from edi837.runtmp import pid_alive
from edi837.safetext import escape
from edi837.screening import expand_paths
from edi837.store.base import HistoryStore
from edi837.writers.report import JsonReport
from edi837.writers.x12out import atomic_open

SETTLE_SECONDS = 10.0
IN_PROGRESS = (".part", ".partial", ".filepart", ".tmp")
FOLDERS = ("work", "accepted", "rejected", "acks", "reports", "done", "failed")
HEARTBEAT = ".heartbeat"


@dataclass
class WorkerStats:
    files: int = 0
    failed: int = 0
    claims: int = 0
    accepted: int = 0
    rejected: int = 0
    processed: list[str] = field(default_factory=list)


class DropFolderWorker:
    """One worker: claims files from the inbox, screens them, files the answers."""

    def __init__(
        self,
        inbox: str | Path,
        outbox: str | Path,
        run: RunContext,
        store_factory: Callable[[], HistoryStore],
        *,
        stale_after: float = 600.0,
        control_number: int | None = None,
        log: Callable[[str], None] | None = None,
        settle: float = SETTLE_SECONDS,
        ready_suffix: str | None = None,
        on_file: Callable[[FileEvent], None] | None = None,
        on_poll: Callable[[int], None] | None = None,
    ) -> None:
        self.inbox = Path(inbox)
        self.outbox = Path(outbox)
        self.run = run
        self.store_factory = store_factory
        self.stale_after = stale_after
        self.control_number = control_number
        self.log = log or (lambda message: None)
        self.settle = settle
        self.ready_suffix = ready_suffix or None
        self.on_file = on_file  # one event per file (else a plain log line)
        self.on_poll = on_poll  # called with the inbox depth after each look
        self._seen: dict[str, tuple[tuple[int, int], float]] = {}  # name -> (size, mtime), since
        self.host = socket.gethostname()
        self.worker_id = f"{self.host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for name in FOLDERS:
            try:
                (self.outbox / name).mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file in the way, a read-only mount, no space
                raise Edi837Error(
                    f"cannot create outbox folder {escape(str(self.outbox / name))}: {exc.strerror}"
                ) from None
        self.work = self.outbox / "work" / self.worker_id
        self.work.mkdir()
        self.stats = WorkerStats()

    # -- claiming ----------------------------------------------------------------
    def heartbeat(self) -> None:
        (self.work / HEARTBEAT).touch()

    def _abandoned(self, folder: Path) -> bool:
        """A work folder whose worker is gone: same host and dead pid, or a stale beat."""
        if folder == self.work:
            return False
        host, _, rest = folder.name.rpartition("-")[0].rpartition("-")
        pid = rest
        if host == self.host and pid.isdigit():
            return not pid_alive(int(pid))
        beat = folder / HEARTBEAT
        try:
            age = time.time() - beat.stat().st_mtime
        except FileNotFoundError:
            age = time.time() - folder.stat().st_mtime
        return age > self.stale_after

    def _reclaim_abandoned(self) -> None:
        """Take over files left by dead workers (rename is atomic: one taker wins)."""
        for folder in sorted((self.outbox / "work").iterdir()):
            if not folder.is_dir() or not self._abandoned(folder):
                continue
            for path in sorted(folder.iterdir()):
                if path.name == HEARTBEAT:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    os.replace(path, self.work / path.name)
                    self.log(f"reclaimed {path.name} from {folder.name}")
            with contextlib.suppress(OSError):
                (folder / HEARTBEAT).unlink(missing_ok=True)
                folder.rmdir()

    def _is_marker(self, name: str) -> bool:
        return self.ready_suffix is not None and name.endswith(self.ready_suffix)

    def _candidate(self, path: Path) -> bool:
        """A name the worker may ever take (not in progress, not a ready marker)."""
        name = path.name
        return not (
            name.startswith(".")
            or name.endswith(IN_PROGRESS)
            or self._is_marker(name)
            or name == HEARTBEAT
        )

    def _settled(self, path: Path, now: float) -> bool:
        """Size and mtime unchanged for ``settle`` seconds of our own observation (or, in
        ready-suffix mode, the sender's marker is there)."""
        if self.ready_suffix is not None:
            return path.with_name(path.name + self.ready_suffix).exists()
        try:
            st = path.stat()
        except FileNotFoundError:
            return False
        state = (st.st_size, st.st_mtime_ns)
        seen = self._seen.get(path.name)
        if seen is None or seen[0] != state:
            self._seen[path.name] = (state, now)
            return self.settle <= 0
        return now - seen[1] >= self.settle

    def _waiting(self) -> list[Path]:
        """Inbox files that may be taken, settled or not (sorted by name)."""
        try:
            return sorted(p for p in self.inbox.iterdir() if self._candidate(p) and p.is_file())
        except FileNotFoundError:
            return []

    def _claim_next(self) -> Path | None:
        mine = sorted(
            p for p in self.work.iterdir() if p.name != HEARTBEAT and not self._is_marker(p.name)
        )
        if mine:
            return mine[0]
        now = time.monotonic()
        waiting = self._waiting()
        if self.on_poll is not None:
            self.on_poll(len(waiting))
        names = {p.name for p in waiting}
        self._seen = {k: v for k, v in self._seen.items() if k in names}
        for path in waiting:
            if not self._settled(path, now):
                continue
            target = self.work / path.name
            try:
                os.replace(path, target) if not target.exists() else None
            except FileNotFoundError:
                continue  # another worker took it first
            if target.exists():
                self._seen.pop(path.name, None)
                if self.ready_suffix is not None:
                    marker = path.with_name(path.name + self.ready_suffix)
                    with contextlib.suppress(FileNotFoundError):
                        os.replace(marker, self.work / marker.name)
                return target
        return None

    def pending(self) -> int:
        """Inbox files not yet settled (or without their marker): what ``drain`` waits
        for."""
        return len(self._waiting())

    # -- processing --------------------------------------------------------------
    def process(self, path: Path) -> None:
        name = path.name
        started = time.monotonic()
        size = path.stat().st_size
        store = self.store_factory()
        try:
            if len(expand_paths([path])) > 1:  # a ZIP of several 837s: a folder per archive
                acks = f"{self.outbox / 'acks' / name}/"
                options = OutputOptions(
                    ack_277ca=acks,
                    ack_999=acks,
                    ack_ta1=acks,
                    accepted=f"{self.outbox / 'accepted' / name}/",
                    rejected=f"{self.outbox / 'rejected' / name}/",
                    received=self.run.received,
                )
            else:
                options = OutputOptions(
                    ack_277ca=str(self.outbox / "acks" / f"{name}.277ca"),
                    ack_999=str(self.outbox / "acks" / f"{name}.999"),
                    ack_ta1=str(self.outbox / "acks" / f"{name}.ta1"),
                    accepted=str(self.outbox / "accepted" / name),
                    rejected=str(self.outbox / "rejected" / name),
                    received=self.run.received,
                )
            meta = {
                "policy": self.run.policy.name,
                "worker": self.worker_id,
                "notes": self.run.selection.notes(),  # rules turned off or down
            }
            with atomic_open(self.outbox / "reports" / f"{name}.json", encoding="utf-8") as out:
                result = check(
                    [path],
                    self.run,
                    history=store,
                    report=JsonReport(out),
                    meta=meta,
                    outputs=options,
                    numbers=control_numbers(self.control_number, store),
                    on_read=lambda _files: self.heartbeat(),
                )
            self.heartbeat()
        finally:
            store.close()
        files, summary = result.files, result.summary
        readable = all(f.readable for f in files)
        destination = self.outbox / ("done" if readable else "failed") / name
        if destination.exists():
            destination = destination.with_name(f"{name}.{self.worker_id}")
        os.replace(path, destination)
        if self.ready_suffix is not None:
            marker = path.with_name(name + self.ready_suffix)
            with contextlib.suppress(FileNotFoundError):
                os.replace(marker, destination.with_name(destination.name + self.ready_suffix))
        self.stats.files += 1
        self.stats.failed += 0 if readable else 1
        self.stats.claims += summary.claims
        self.stats.accepted += summary.accepted
        self.stats.rejected += summary.rejected
        self.stats.processed.append(name)
        event = FileEvent(
            file=name,
            size=size,
            claims=summary.claims,
            accepted=summary.accepted,
            rejected=summary.rejected,
            seconds=time.monotonic() - started,
            outcome="done" if readable else "failed",
            interchanges=[
                i.ISA[13] for f in files if f.tracker is not None for i in f.tracker.interchanges
            ],
        )
        if self.on_file is not None:
            self.on_file(event)
        else:
            self.log(
                f"{name}: {summary.claims} claims, {summary.accepted} accepted, "
                f"{summary.rejected} rejected -> {destination.parent.name}/"
            )

    def drain(self, poll: float = 0.25) -> WorkerStats:
        """Process files until the inbox (and our work folder) is empty, waiting for
        files still arriving to settle (in ready-suffix mode a file without its marker
        is not waited for)."""
        while True:
            for _ in self.iterate():
                pass
            if self.ready_suffix is not None or not self.pending():
                return self.stats
            time.sleep(poll)

    def iterate(self) -> Iterator[Path]:
        while True:
            self.heartbeat()
            self._reclaim_abandoned()
            path = self._claim_next()
            if path is None:
                return
            started = time.monotonic()
            try:
                self.process(path)
            except Exception:
                if self.on_file is not None:  # counted, then the worker stops (exit 3)
                    self.on_file(
                        FileEvent(
                            file=path.name,
                            size=0,
                            outcome="error",
                            seconds=time.monotonic() - started,
                        )
                    )
                raise
            yield path

    def watch(self, poll: float = 2.0, stop: Callable[[], bool] = lambda: False) -> WorkerStats:
        """Poll the inbox until ``stop()`` says so (Ctrl-C also stops it)."""
        try:
            while not stop():
                for _ in self.iterate():
                    if stop():
                        return self.stats
                deadline = time.monotonic() + poll
                while not stop() and time.monotonic() < deadline:
                    time.sleep(min(0.1, poll))
        except KeyboardInterrupt:
            pass
        return self.stats

    def close(self) -> None:
        """Leave no empty work folder behind."""
        with contextlib.suppress(OSError):
            (self.work / HEARTBEAT).unlink(missing_ok=True)
            self.work.rmdir()


def stats_json(stats: WorkerStats) -> str:
    return json.dumps(
        {
            "files": stats.files,
            "failed": stats.failed,
            "claims": stats.claims,
            "accepted": stats.accepted,
            "rejected": stats.rejected,
        }
    )
