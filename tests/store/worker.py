"""Screen files against a history store in a process of its own.

Used by the concurrency test (``screen`` in ``multiprocessing`` workers) and the kill
test (``python -m tests.store.worker URL FEED_DIR OUT.json FILE...``). With
``EDI837_TEST_STALL_AFTER=N`` the store stops after its N-th ``record`` inside the
judge's open transaction, prints ``stalled`` and sleeps, so a test can kill it there.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

from edi837.feeds import AuthorizationFeed, ProviderFeed
from edi837.policy import load_policy
from edi837.rules.context import RunContext
from edi837.screening import Screening
from edi837.store import open_store, retry_transient

RECEIVED = date(2026, 11, 2)  # as tests.scenario.Scenario


def run_context(feed_dir: str | Path) -> RunContext:
    feed_dir = Path(feed_dir)
    return RunContext(
        policy=load_policy("bcbsma"),
        authorizations=AuthorizationFeed.load(feed_dir / "auths.csv"),
        providers=ProviderFeed.load(feed_dir / "providers.csv"),
        received=RECEIVED,
    )


def summarize(verdicts) -> dict[str, list]:
    """claim id -> [accepted, sorted rejecting rule codes]."""
    out: dict[str, list] = {}
    for v in verdicts:
        assert v.claim.CLM01 not in out, f"claim {v.claim.CLM01} answered twice"
        out[v.claim.CLM01] = [v.accepted, sorted({f.rule for f in v.rejections})]
    return out


def screen(url: str, paths: list[str], feed_dir: str) -> dict[str, list]:
    """Screen ``paths`` in one run against the store at ``url`` (retrying the whole run
    after a deadlock or busy store) and summarize the verdicts."""
    store = open_store(url)
    run = run_context(feed_dir)
    try:
        return retry_transient(store, lambda: summarize(Screening(paths, run, store).verdicts()))
    finally:
        store.close()


def _stall_after(store, n: int) -> None:
    record = store.record
    count = 0

    def stalling(rec) -> None:
        nonlocal count
        record(rec)
        count += 1
        if count == n:
            print("stalled", flush=True)
            time.sleep(120)

    store.record = stalling


def main(argv: list[str]) -> int:
    url, feed_dir, out, *paths = argv
    store = open_store(url)
    stall = int(os.environ.get("EDI837_TEST_STALL_AFTER", "0"))
    if stall:
        _stall_after(store, stall)
    try:
        result = summarize(Screening(paths, run_context(feed_dir), store).verdicts())
    finally:
        store.close()
    Path(out).write_text(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
