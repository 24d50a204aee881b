"""Production ingestion: files still uploading are never taken, workers can be watched."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from edi837.dropfolder import DropFolderWorker
from tests.test_dropfolder import EDI837, build_inbox, copy_tree, reported_verdicts, single_run

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

SETTLE = 1.5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(worker: subprocess.Popen) -> tuple[str, str]:
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    return out, err


def wait_for(predicate, timeout: float = 60.0, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError("timed out waiting")


def test_file_still_uploading_is_never_claimed(tmp_path):
    """A writer appends a file in pieces with pauses shorter than the settle time (as an
    SFTP server writes in place); two watching workers leave it alone until it is whole,
    then one of them answers every claim once. A ``.part`` file is never taken."""
    source, names, feeds = build_inbox(tmp_path, files=2, members_per_file=6)
    expected = single_run(tmp_path, copy_tree(source, tmp_path / "copy"), feeds)
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    cmd = [
        *EDI837,
        "run",
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--watch",
        "--poll",
        "0.2",
        "--settle",
        str(SETTLE),
        "--history",
        f"sqlite:///{tmp_path / 'h.db'}",
        *feeds,
    ]
    workers = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        (inbox / "upload.837.part").write_bytes(b"ISA*")
        taken_early: list[str] = []
        bodies = {n: (source / n).read_bytes() for n in names}

        def write_slowly() -> None:
            for name, body in bodies.items():
                pieces = [
                    body[i : i + len(body) // 5 + 1]
                    for i in range(0, len(body), len(body) // 5 + 1)
                ]
                with open(inbox / name, "wb") as out:
                    for piece in pieces:
                        out.write(piece)
                        out.flush()
                        time.sleep(SETTLE / 3)
                        if not (inbox / name).exists():
                            taken_early.append(name)

        writer = threading.Thread(target=write_slowly)
        writer.start()
        writer.join()
        assert not taken_early, "a file was claimed while still being written"
        wait_for(
            lambda: (
                (outbox / "done").exists() and len(list((outbox / "done").iterdir())) == len(names)
            )
        )
    finally:
        results = [stop(w) for w in workers]
    assert sorted(p.name for p in (outbox / "done").iterdir()) == names
    for name in names:  # the file taken is the whole file
        assert (outbox / "done" / name).read_bytes() == bodies[name]
    assert not list((outbox / "failed").iterdir())
    assert reported_verdicts(outbox) == expected  # every claim answered, once
    assert (inbox / "upload.837.part").exists()
    stats = [json.loads(out.strip().splitlines()[-1]) for out, _ in results]
    assert sum(s["files"] for s in stats) == len(names)


def test_ready_suffix_takes_a_file_only_with_its_marker(tmp_path):
    source, names, _ = build_inbox(tmp_path, files=2, members_per_file=2)
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    copy_tree(source, inbox)
    first, second = names
    (inbox / f"{first}.ok").write_bytes(b"")
    from edi837.spark import run_context
    from edi837.store import open_store

    url = f"sqlite:///{tmp_path / 'h.db'}"
    worker = DropFolderWorker(
        inbox, outbox, run_context(), lambda: open_store(url), ready_suffix=".ok", settle=3600
    )
    try:
        stats = worker.drain()
    finally:
        worker.close()
    assert stats.processed == [first]
    assert sorted(p.name for p in (outbox / "done").iterdir()) == [first, f"{first}.ok"]
    assert sorted(p.name for p in inbox.iterdir()) == [second]


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z0-9_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return values


def test_metrics_and_log_lines_of_a_running_worker(tmp_path):
    """A real worker process with --watch and --metrics-port: files dropped, counters
    scraped over HTTP, one JSON log line per file without any member id, SIGTERM stops it."""
    source, names, feeds = build_inbox(tmp_path, files=3, members_per_file=3)
    expected = single_run(tmp_path, copy_tree(source, tmp_path / "copy"), feeds)
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    port = free_port()
    cmd = [
        *EDI837,
        "run",
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--watch",
        "--poll",
        "0.2",
        "--settle",
        "0",
        "--log-format",
        "json",
        "--metrics-port",
        str(port),
        "--history",
        f"sqlite:///{tmp_path / 'h.db'}",
        *feeds,
    ]
    worker = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:

        def up() -> bool:
            try:
                return 'edi837_files_total{outcome="done"}' in scrape(port)
            except OSError:
                return False

        wait_for(up, timeout=30)
        assert scrape(port)['edi837_files_total{outcome="done"}'] == 0
        for name in names:  # dropped the way an uploader should: a temp name, then rename
            (inbox / f"{name}.tmp").write_bytes((source / name).read_bytes())
            (inbox / f"{name}.tmp").rename(inbox / name)
        wait_for(lambda: scrape(port)['edi837_files_total{outcome="done"}'] == len(names))
        metrics = scrape(port)
    finally:
        _, err = stop(worker)
    accepted = sum(1 for s in expected.values() if s == "accepted")
    rejected = sum(1 for s in expected.values() if s == "rejected")
    assert metrics['edi837_claims_total{outcome="accepted"}'] == accepted
    assert metrics['edi837_claims_total{outcome="rejected"}'] == rejected
    assert metrics['edi837_files_total{outcome="failed"}'] == 0
    assert metrics["edi837_file_seconds_count"] == len(names)
    assert metrics["edi837_inbox_files"] == 0
    assert metrics["edi837_last_success_timestamp_seconds"] > time.time() - 120
    events = [
        json.loads(line.removeprefix("edi837: "))
        for line in err.splitlines()
        if line.startswith("edi837: {")
    ]
    assert sorted(e["file"] for e in events) == names
    assert sum(e["claims"] for e in events) == len(expected)
    assert all(e["outcome"] == "done" and e["interchanges"] and e["size"] > 0 for e in events)
    members = set(re.findall(r"F\d\dM\d{3}", "".join(expected)))
    assert members and not any(m in err for m in members)  # no member id in the log


def test_text_log_line_names_counts_and_interchanges():
    from edi837.observe import FileEvent, format_event

    line = format_event(FileEvent("a.837", 10, 3, 2, 1, 0.5, "done", ["000000001"]), "text")
    assert line == (
        "file=a.837 size=10 claims=3 accepted=2 rejected=1 seconds=0.500 "
        "outcome=done interchanges=000000001"
    )


def test_zip_in_the_inbox_is_answered_member_by_member(tmp_path):
    """A ZIP of two 837s dropped in the inbox: both members screened, their answers in a
    folder per archive, every claim answered once."""
    import zipfile

    source, names, feeds = build_inbox(tmp_path, files=2, members_per_file=3)
    expected = single_run(tmp_path, copy_tree(source, tmp_path / "copy"), feeds)
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / "batch.zip", "w") as zf:
        for name in names:
            zf.write(source / name, name)
    done = subprocess.run(
        [
            *EDI837,
            "run",
            "-q",
            "--settle",
            "0",
            "--inbox",
            str(inbox),
            "--outbox",
            str(outbox),
            "--history",
            f"sqlite:///{tmp_path / 'h.db'}",
            *feeds,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (outbox / "done").iterdir()] == ["batch.zip"]
    assert reported_verdicts(outbox) == expected
    acks = sorted(p.name for p in (outbox / "acks" / "batch.zip").iterdir())
    assert acks == sorted(f"{n}.{k}" for n in names for k in ("277ca", "999"))
