"""Drop-folder mode: atomic claiming, several workers, a killed worker taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from edi837.x12.tokenizer import read_segments
from tests.report_schema import validate_report
from tests.scenario import DAY0, Auth, Scenario, s_claim

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

EDI837 = [sys.executable, "-m", "edi837.cli"]


def build_inbox(
    tmp_path: Path, files: int, members_per_file: int, lines: int = 3
) -> tuple[Path, list[str], dict[str, str]]:
    """An inbox of files, each member's claims within one file (so arrival order between
    files cannot change a verdict), with rejections inside files (SC005/SC006)."""
    sc = Scenario(tmp_path / "gen", auths=[])
    (tmp_path / "gen").mkdir()
    for f in range(files):
        claims = []
        for m in range(members_per_file):
            member = f"F{f:02d}M{m:03d}"
            order = f"O{f:02d}{m:03d}"
            sc.auths.append(Auth(order_id=order, member_id=member))
            claims.append(s_claim(f"{member}A", "S0353", DAY0, member=member, order=order))
            for k in range(1, lines):
                gap = 25 if k == 1 else 30 * k  # the first S0354 comes too soon (SC005)
                claims.append(
                    s_claim(
                        f"{member}{k}",
                        "S0354",
                        DAY0 + timedelta(days=gap),
                        member=member,
                        order=order,
                    )
                )
        sc.file(*claims)
    paths = sc.paths()
    sc.run_context()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for p in paths:
        os.replace(p, inbox / p.name)
    feeds = [
        "--authorizations",
        str(tmp_path / "gen" / "auths.csv"),
        "--providers",
        str(tmp_path / "gen" / "providers.csv"),
        "--received",
        "2026-11-02",
    ]
    names = sorted(p.name for p in inbox.iterdir())
    return inbox, names, feeds


def reported_verdicts(outbox: Path) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    for report in sorted((outbox / "reports").glob("*.json")):
        validate_report(report.read_text())  # written by worker subprocesses
        for claim in json.loads(report.read_text())["claims"]:
            assert claim["claim_id"] not in verdicts, f"{claim['claim_id']} answered twice"
            verdicts[claim["claim_id"]] = claim["status"]
    return verdicts


def single_run(tmp_path: Path, inbox_copy: Path, feeds: list[str]) -> dict[str, str]:
    out = subprocess.run(
        [*EDI837, "check", "-q", "--no-history", "--format", "json", *feeds, str(inbox_copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    validate_report(out.stdout)
    return {c["claim_id"]: c["status"] for c in json.loads(out.stdout)["claims"]}


def copy_tree(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


@pytest.mark.postgres
def test_two_workers_share_one_inbox(tmp_path, postgres_urls):
    inbox, names, feeds = build_inbox(tmp_path, files=20, members_per_file=4)
    expected = single_run(tmp_path, copy_tree(inbox, tmp_path / "copy"), feeds)
    outbox = tmp_path / "outbox"
    url = postgres_urls()
    cmd = [
        *EDI837,
        "run",
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--history",
        url,
        "--settle",
        "0",
        *feeds,
    ]
    workers = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], results
    stats = [json.loads(out.strip().splitlines()[-1]) for out, _ in results]
    assert sum(s["files"] for s in stats) == 20
    assert all(s["files"] > 0 for s in stats), "both workers should have taken files"
    done = sorted(p.name for p in (outbox / "done").iterdir())
    assert done == names and not list(inbox.iterdir())
    assert not list((outbox / "failed").iterdir())
    verdicts = reported_verdicts(outbox)
    assert verdicts == expected
    assert "rejected" in verdicts.values() and "accepted" in verdicts.values()
    acks = {p.name for p in (outbox / "acks").iterdir()}
    assert acks == {f"{n}.277ca" for n in names} | {f"{n}.999" for n in names}
    split_ids = set()
    for side in ("accepted", "rejected"):
        for path in (outbox / side).iterdir():
            split_ids |= {s[1] for s in read_segments(path) if s.id == "CLM"}
    assert split_ids == set(expected)


def test_killed_worker_file_is_taken_up_and_counted_once(tmp_path):
    inbox, names, feeds = build_inbox(tmp_path, files=6, members_per_file=60, lines=4)
    expected = single_run(tmp_path, copy_tree(inbox, tmp_path / "copy"), feeds)
    outbox = tmp_path / "outbox"
    url = f"sqlite:///{tmp_path / 'history.db'}"
    cmd = [
        *EDI837,
        "run",
        "-q",
        "--inbox",
        str(inbox),
        "--outbox",
        str(outbox),
        "--history",
        url,
        "--settle",
        "0",
        *feeds,
    ]
    victim = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    work = outbox / "work"
    while time.monotonic() < deadline:  # kill while a file sits in the work folder
        busy = (
            [p for d in work.glob("*") if d.is_dir() for p in d.iterdir() if p.name != ".heartbeat"]
            if work.exists()
            else []
        )
        if busy and (outbox / "done").exists() and len(list((outbox / "done").iterdir())) >= 1:
            break
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    leftover = [p.name for d in work.iterdir() for p in d.iterdir() if p.name != ".heartbeat"]
    assert leftover, "the kill should leave a file in the work folder"
    rerun = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in (outbox / "done").iterdir()) == names
    assert reported_verdicts(outbox) == expected
    # the store counted each claim once: export shows every accepted S-code line once
    export = subprocess.run(
        [*EDI837, "history", "export", "--history", url], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    accepted_claims = [row.split(",")[5] for row in export[1:]]
    assert sorted(accepted_claims) == sorted(k for k, v in expected.items() if v == "accepted")
