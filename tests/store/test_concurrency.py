"""Workers in separate processes screen files for the same members at the same time.

Each of 4 workers (multiprocessing, spawn) screens its own file; every member has one
S0354 in each file, on days 0, 10, 20 and 40 dealt out to the workers at random. Whatever
order the workers' runs serialize in, the store must never hold two accepted S0354 of
one member within 30 days, every claim must be answered exactly once, and the store must
agree with the verdicts the workers reported.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import defaultdict

import pytest

from edi837.store import open_store
from tests.scenario import Auth, Scenario, days, s_claim
from tests.store.batch import member
from tests.store.worker import screen

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

WORKERS = 4
MEMBERS = 40
DAYS = (0, 10, 20, 40)


def conflicting_files(tmp_path, seed: int = 11) -> tuple[list[str], str]:
    rng = random.Random(seed)
    ids = [member(i) for i in range(MEMBERS)]
    files: list[list] = [[] for _ in range(WORKERS)]
    for m in ids:
        dealt = list(DAYS)
        rng.shuffle(dealt)
        for w, day in enumerate(dealt):
            files[w].append(s_claim(f"W{w}{m}", "S0354", days(day), member=m, order=f"O{m}"))
    sc = Scenario(tmp_path, auths=[Auth(order_id=f"O{m}", member_id=m) for m in ids])
    for claims in files:
        sc.file(*claims)
    paths = [str(p) for p in sc.paths()]
    sc.run_context()  # writes the feeds
    return paths, str(tmp_path)


def test_workers_on_the_same_members_never_double_accept(tmp_path, history_url):
    paths, feeds = conflicting_files(tmp_path)
    open_store(history_url).close()  # schema in place before the race (it is safe anyway)
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(screen, [(history_url, [p], feeds) for p in paths])

    answered: dict[str, list] = {}
    for result in results:
        assert not set(result) & set(answered), "a claim was answered twice"
        answered.update(result)
    assert len(answered) == WORKERS * MEMBERS

    store = open_store(history_url)
    try:
        rows = store.snapshot()
        dates = defaultdict(list)
        for r in store.timeline_rows(include_withdrawn=False):
            dates[r[0]].append(r[5])
    finally:
        store.close()
    for patient, accepted_days in dates.items():
        accepted_days.sort()
        gaps = [(b - a).days for a, b in zip(accepted_days, accepted_days[1:], strict=False)]
        assert all(g >= 30 for g in gaps), (patient, accepted_days)
    assert {r[1] for r in rows["claim"] if "accepted" in r} == {
        k for k, (ok, _) in answered.items() if ok
    }
    assert {r[1] for r in rows["claim"] if "rejected" in r} == {
        k for k, (ok, rules) in answered.items() if not ok and rules == ["SC006"]
    }
    assert len(rows["claim"]) == WORKERS * MEMBERS
    # Every member keeps at least one accepted S0354, and at most two fit in 40 days.
    per_member = [len(d) for d in dates.values()]
    assert len(per_member) == MEMBERS and set(per_member) <= {1, 2}


@pytest.mark.parametrize("rounds", [2])
def test_repeated_races_converge(tmp_path, history_url, rounds):
    """Re-running every file again (all workers at once) changes no verdict."""
    paths, feeds = conflicting_files(tmp_path, seed=5)
    open_store(history_url).close()
    context = multiprocessing.get_context("spawn")
    seen = []
    with context.Pool(WORKERS) as pool:
        for _ in range(rounds):
            results = pool.starmap(screen, [(history_url, [p], feeds) for p in paths])
            merged = {k: v for r in results for k, v in r.items()}
            seen.append(merged)
    assert seen[0] == seen[1]
