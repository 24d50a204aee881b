"""The store invariant under random histories (issue 12, item 2).

Random sequences of screening runs over random subsets (in random order) of a pool of
generated files, on SQLite and PostgreSQL. After every run:

* the store's accepted services break no frequency rule together: at most one S0353 per
  patient, every S0354 at least 30 days after the S0353 and after/before any other S0354,
  no more S0354 units per order than the authorization allows, no service on both forms;
* verdict stability: a claim accepted in an earlier run is accepted again.

A concurrent variant has 4 processes screen overlapping batches against one PostgreSQL
store at once; the invariant must hold afterwards.
"""

from __future__ import annotations

import multiprocessing
import random
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.screening import Screening
from edi837.store import open_store, retry_transient
from tests.scenario import Auth, Scenario, days, s_claim
from tests.store.worker import run_context, screen

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

MEMBERS = ("MBR0001", "MBR0002")
MONTHS = 3  # each member's order allows 3 S0354 months
INTERVAL = 30


def auths() -> list[Auth]:
    return [Auth(order_id=f"O{m}", member_id=m, s0354_max_months=str(MONTHS)) for m in MEMBERS]


claim_spec = st.tuples(
    st.sampled_from(MEMBERS),
    st.sampled_from(["S0354", "S0354", "S0354", "S0353"]),
    st.integers(0, 150),  # service day
    st.sampled_from(["837P", "837P", "837P", "837I"]),
)


def write_pool(folder: Path, pool: list[list[tuple]]) -> list[str]:
    """The pool's files; claim ids are unique across the pool (FILE-INDEX). A file
    drawn as a copy of another (same claims, new interchange) resends them."""
    sc = Scenario(folder, auths=auths())
    for f, claims in enumerate(pool):
        sc.file(
            *[
                s_claim(f"F{f}C{i}", proc, days(day), member=m, order=f"O{m}", form=form)
                for i, (m, proc, day, form) in enumerate(claims)
            ]
        )
    paths = [str(p) for p in sc.paths()]
    sc.run_context()  # writes the feeds
    return paths


def assert_invariant(store) -> None:
    by_patient = defaultdict(list)
    for r in store.timeline_rows(include_withdrawn=False):
        by_patient[r[0]].append(r)
    for patient, rows in by_patient.items():
        s0353 = [r[5] for r in rows if r[4] == "S0353"]
        s0354 = sorted(r[5] for r in rows if r[4] == "S0354")
        assert len(s0353) <= 1, (patient, rows)
        for a, b in zip(s0354, s0354[1:], strict=False):
            assert (b - a).days >= INTERVAL, (patient, s0354)
        for onset in s0353:
            assert all((d - onset).days >= INTERVAL for d in s0354), (patient, rows)
        units = defaultdict(int)
        for r in rows:
            if r[4] == "S0354":
                units[r[7]] += r[6]
        assert all(n <= MONTHS for n in units.values()), (patient, dict(units))
        forms = defaultdict(set)
        for r in rows:
            forms[(r[4], r[5])].add(r[9])
        assert all(len(f) == 1 for f in forms.values()), (patient, rows)


pools = st.lists(st.lists(claim_spec, min_size=1, max_size=4), min_size=2, max_size=5)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pool=pools, data=st.data())
def test_random_runs_keep_the_invariant_and_the_verdicts(history_urls, pool, data):
    with tempfile.TemporaryDirectory() as tmp:
        # Some files are resent copies of another (a new interchange of the same claims).
        if data.draw(st.booleans()):
            pool = [*pool, list(pool[0])]
        paths = write_pool(Path(tmp), pool)
        run = run_context(tmp)
        store = open_store(history_urls())
        accepted: set[str] = set()
        try:
            for _ in range(data.draw(st.integers(1, 5))):
                batch = data.draw(
                    st.lists(st.sampled_from(paths), min_size=1, max_size=len(paths), unique=True)
                )
                verdicts = retry_transient(
                    store, lambda b=batch: list(Screening(b, run, store).verdicts())
                )
                now = {v.claim.CLM01 for v in verdicts if v.accepted}
                seen = {v.claim.CLM01 for v in verdicts}
                assert accepted & seen <= now, "an accepted claim flipped"
                accepted |= now
                assert_invariant(store)
        finally:
            store.close()


@pytest.mark.postgres
def test_four_processes_on_overlapping_batches(tmp_path, postgres_urls):
    rng = random.Random(12)
    pool = [
        [
            (
                rng.choice(MEMBERS),
                rng.choice(["S0354", "S0354", "S0353"]),
                rng.randrange(0, 150),
                "837P",
            )
            for _ in range(6)
        ]
        for _ in range(8)
    ]
    paths = write_pool(tmp_path, pool)
    url = postgres_urls()
    open_store(url).close()
    batches = [rng.sample(paths, 4) for _ in range(8)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool_:
        results = pool_.starmap(screen, [(url, b, str(tmp_path)) for b in batches])
    store = open_store(url)
    try:
        assert_invariant(store)
        stored = {r[1] for r in store.snapshot()["claim"] if "accepted" in r}
    finally:
        store.close()
    # No voids here, so what is accepted only grows: every worker that screened a claim
    # gave it the same verdict, and the store holds exactly the accepted ones.
    seen: dict[str, set[bool]] = defaultdict(set)
    for result in results:
        for claim_id, (ok, _) in result.items():
            seen[claim_id].add(ok)
    assert all(len(v) == 1 for v in seen.values()), seen
    ever = {c for c, v in seen.items() if True in v}
    assert ever and ever == stored
    assert len(ever) < len(seen)  # the pool does conflict
