"""A screening process killed in the middle of its run leaves the store as it was.

The batch: 3,000 claims (500 members, 6 files). Run 1 screens the first three files and
commits. Run 2, a separate process screening the last three, is SIGKILLed inside its
judge transaction (after 700 records written, uncommitted). The store must then be
exactly as run 1 left it; re-running run 2 must give the verdicts, and leave the store,
that an uninterrupted run 1 + run 2 on a fresh store gives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edi837.store import open_store
from tests.store.batch import batch, write
from tests.store.worker import screen

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

ROOT = Path(__file__).resolve().parents[2]


def _without_timestamps(snapshot):
    # claim.recorded_at is for humans; everything else must match exactly.
    return {**snapshot, "claim": [row[:-1] for row in snapshot["claim"]]}


def _worker(url, feeds, out, paths, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.worker", url, feeds, str(out), *paths],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


def test_killed_run_leaves_no_trace(tmp_path, history_urls):
    paths, feeds = write(batch(tmp_path / "batch", members=500, files=6))
    first, second = paths[:3], paths[3:]
    url = history_urls()
    screen(url, first, feeds)
    store = open_store(url)
    after_run_1 = store.snapshot()
    store.close()

    victim = _worker(url, feeds, tmp_path / "killed.json", second, EDI837_TEST_STALL_AFTER="700")
    try:
        assert victim.stdout.readline().strip() == "stalled"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "killed.json").exists()

    store = open_store(url)
    assert store.snapshot() == after_run_1  # no partial records from the killed run
    store.close()

    rerun = _worker(url, feeds, tmp_path / "rerun.json", second)
    rerun.communicate(timeout=60)
    assert rerun.returncode == 0
    rerun_verdicts = json.loads((tmp_path / "rerun.json").read_text())

    fresh = history_urls()
    screen(fresh, first, feeds)
    expected = screen(fresh, second, feeds)
    assert len(expected) == 1500
    assert rerun_verdicts == json.loads(json.dumps(expected))
    assert 0 < sum(ok for ok, _ in expected.values()) < 1500

    killed_store, fresh_store = open_store(url), open_store(fresh)
    try:
        assert _without_timestamps(killed_store.snapshot()) == _without_timestamps(
            fresh_store.snapshot()
        )
    finally:
        killed_store.close()
        fresh_store.close()
