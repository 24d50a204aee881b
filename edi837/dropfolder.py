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

from edi837.control import control_numbers
from edi837.outputs import OutputOptions, write_outputs
from edi837.rules.context import RunContext
from edi837.screen import Screening
from edi837.store.base import HistoryStore
from edi837.writers.report import JsonReport, write_report
from edi837.writers.x12out import atomic_open

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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DropFolderWorker:
    """One worker: claims files from the inbox, screens them, files the answers."""

    def __init__(self, inbox: str | Path, outbox: str | Path, run: RunContext,
                 store_factory: Callable[[], HistoryStore], *, stale_after: float = 600.0,
                 control_number: int | None = None, log: Callable[[str], None] | None = None
                 ) -> None:
        self.inbox = Path(inbox)
        self.outbox = Path(outbox)
        self.run = run
        self.store_factory = store_factory
        self.stale_after = stale_after
        self.control_number = control_number
        self.log = log or (lambda message: None)
        self.host = socket.gethostname()
        self.worker_id = f"{self.host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for name in FOLDERS:
            (self.outbox / name).mkdir(parents=True, exist_ok=True)
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
            return not _pid_alive(int(pid))
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

    def _claim_next(self) -> Path | None:
        mine = sorted(p for p in self.work.iterdir() if p.name != HEARTBEAT)
        if mine:
            return mine[0]
        for path in sorted(self.inbox.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue  # dotfiles are uploads in progress, by convention
            target = self.work / path.name
            try:
                os.replace(path, target) if not target.exists() else None
            except FileNotFoundError:
                continue  # another worker took it first
            if target.exists():
                return target
        return None

    # -- processing --------------------------------------------------------------
    def process(self, path: Path) -> None:
        name = path.name
        store = self.store_factory()
        try:
            screening = Screening([path], self.run, store)
            with screening:
                files = screening.prepare()
                self.heartbeat()
                with atomic_open(self.outbox / "reports" / f"{name}.json",
                                 encoding="utf-8") as out:
                    summary = write_report(JsonReport(out), files, screening.verdicts(),
                                           {"policy": self.run.policy.name,
                                            "worker": self.worker_id})
                self.heartbeat()
                options = OutputOptions(
                    ack_277ca=str(self.outbox / "acks" / f"{name}.277ca"),
                    ack_999=str(self.outbox / "acks" / f"{name}.999"),
                    accepted=str(self.outbox / "accepted" / name),
                    rejected=str(self.outbox / "rejected" / name),
                    ack_ta1=str(self.outbox / "acks" / f"{name}.ta1"),
                    received=self.run.received,
                )
                write_outputs(screening, options, control_numbers(self.control_number, store))
        finally:
            store.close()
        readable = all(f.readable for f in files)
        destination = self.outbox / ("done" if readable else "failed") / name
        if destination.exists():
            destination = destination.with_name(f"{name}.{self.worker_id}")
        os.replace(path, destination)
        self.stats.files += 1
        self.stats.failed += 0 if readable else 1
        self.stats.claims += summary.claims
        self.stats.accepted += summary.accepted
        self.stats.rejected += summary.rejected
        self.stats.processed.append(name)
        self.log(f"{name}: {summary.claims} claims, {summary.accepted} accepted, "
                 f"{summary.rejected} rejected -> {destination.parent.name}/")

    def drain(self) -> WorkerStats:
        """Process files until the inbox (and our work folder) is empty."""
        for _ in self.iterate():
            pass
        return self.stats

    def iterate(self) -> Iterator[Path]:
        while True:
            self.heartbeat()
            self._reclaim_abandoned()
            path = self._claim_next()
            if path is None:
                return
            self.process(path)
            yield path

    def watch(self, poll: float = 2.0, stop: Callable[[], bool] = lambda: False) -> WorkerStats:
        """Poll the inbox until ``stop()`` says so (Ctrl-C also stops it)."""
        try:
            while not stop():
                for _ in self.iterate():
                    pass
                time.sleep(poll)
        except KeyboardInterrupt:
            pass
        return self.stats

    def close(self) -> None:
        """Leave no empty work folder behind."""
        with contextlib.suppress(OSError):
            (self.work / HEARTBEAT).unlink(missing_ok=True)
            self.work.rmdir()


def stats_json(stats: WorkerStats) -> str:
    return json.dumps({"files": stats.files, "failed": stats.failed, "claims": stats.claims,
                       "accepted": stats.accepted, "rejected": stats.rejected})
