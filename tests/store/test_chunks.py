"""Flat memory and batched I/O in the store (issue 13): the ``--no-history`` store holds
one patient at a time, patients are locked and read in chunks as the judge goes, and
queued writes land exactly as writes made one by one would."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from edi837.policy import load_policy
from edi837.rules.context import RunContext
from edi837.screening import Screening
from edi837.store import ClaimRecord, MemoryHistory, MemoryStore, open_store
from edi837.synth.random_batch import random_claims
from edi837.synth.writer import write_837_file
from edi837.timeline import Service
from tests.scenario import DAY0, days
from tests.store.batch import batch, write


def _verdicts(paths, run, store) -> list[tuple]:
    return [
        (v.claim.CLM01, v.status, tuple(sorted((f.rule, f.message) for f in v.findings)))
        for v in Screening(paths, run, store).verdicts()
    ]


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory) -> tuple[list[str], RunContext]:
    """Generated claims with replacements and voids, plus files that conflict with each
    other (SC004/SC006 rejections depend on what other files hold)."""
    tmp = tmp_path_factory.mktemp("chunks")
    synth = tmp / "synth.837"
    claims = list(random_claims(11, 1200, form="mixed"))
    assert any(c.frequency in ("7", "8") for c in claims)
    write_837_file(synth, claims)
    paths, _feeds = write(batch(tmp / "conflicts", members=60, files=3))
    return [str(synth), *paths], RunContext(load_policy("bcbsma"))


class WatchedMemoryStore(MemoryStore):
    """Notes, after every call of the judge's interface, how many patients' services
    and claims the store holds."""

    def __init__(self) -> None:
        super().__init__()
        self.most_services = self.most_claims = 0
        self.patients_seen: set[str] = set()

    def _watch(self, patient_key: str) -> None:
        self.patients_seen.add(patient_key)
        held = {p for p, s in self.by_patient.items() if s} | {
            p for p, s in self.withdrawn.items() if s
        }
        self.most_services = max(self.most_services, len(held))
        self.most_claims = max(self.most_claims, len([p for p, r in self.records.items() if r]))

    def services(self, patient_key):
        try:
            return super().services(patient_key)
        finally:
            self._watch(patient_key)

    def claims(self, patient_key):
        try:
            return super().claims(patient_key)
        finally:
            self._watch(patient_key)

    def record(self, record):
        super().record(record)
        self._watch(record.patient_key)

    def withdraw(self, patient_key, origins, by=""):
        super().withdraw(patient_key, origins, by)
        self._watch(patient_key)


@pytest.mark.slow
def test_the_no_history_store_holds_one_patient_and_judges_alike(mixed_batch):
    paths, run = mixed_batch
    store = WatchedMemoryStore()
    got = _verdicts(paths, run, store)
    assert len(store.patients_seen) > 100
    assert store.most_services == 1
    assert store.most_claims == 1
    # The same verdicts as a store that keeps every patient (what --no-history was).
    assert got == _verdicts(paths, run, MemoryHistory())
    assert {status for _, status, _ in got} == {"accepted", "rejected"}


def test_the_no_history_store_starts_every_run_empty():
    store = MemoryStore()
    service = Service("S0354", DAY0, 1, "A", "837P", "O1", "P", "f:1", 1)
    store.begin()
    store.record(ClaimRecord("P", "P", "A", "837P", "1", "accepted", (service,), origin="f:1"))
    store.commit()
    store.begin()
    assert store.services("P") == [] and store.claims("P") == {}
    assert [store.next_control_number("999") for _ in range(2)] == [1, 2]


class Recorder:
    """Wraps a store's lock_patients / prefetch / services to log what happens when."""

    def __init__(self, store) -> None:
        self.events: list[tuple[str, object]] = []
        for name in ("lock_patients", "prefetch", "services"):
            setattr(store, name, self._logged(name, getattr(store, name)))

    def _logged(self, name, fn):
        def call(arg):
            arg = list(arg) if name != "services" else arg
            self.events.append((name, arg))
            return fn(arg)

        return call

    def of(self, name: str) -> list:
        return [arg for kind, arg in self.events if kind == name]


@pytest.mark.slow
def test_patients_are_locked_in_chunks_each_once_as_the_judge_goes(
    mixed_batch, history_urls, open_history, monkeypatch
):
    paths, run = mixed_batch
    expected = _verdicts(paths, run, open_history(history_urls()))  # one chunk of 1,000

    monkeypatch.setattr("edi837.judge.LOCK_CHUNK", 7)
    store = open_history(history_urls())
    log = Recorder(store)
    assert _verdicts(paths, run, store) == expected

    chunks = log.of("lock_patients")
    locked = [key for chunk in chunks for key in chunk]
    patients = sorted({row[0] for row in store.snapshot()["claim"]})
    assert locked == patients  # every patient exactly once, ascending code points
    assert len(chunks) == -(-len(patients) // 7) and all(len(c) <= 7 for c in chunks)
    assert log.of("prefetch") == chunks
    # Each chunk is locked, then read, just before its patients are judged.
    current: set[str] = set()
    for kind, arg in log.events:
        if kind == "lock_patients":
            current = set(arg)
        elif kind == "prefetch":
            assert set(arg) == current
        else:
            assert arg in current


def _script(store) -> None:
    """Writes whose order matters: a record, its withdrawal, the same origin recorded
    again (after its withdrawal), a rejected claim, a second withdrawal."""

    def rec(origin: str, claim: str, day, status="accepted"):
        service = Service("S0354", day, 1, claim, "837P", "O1", "P", origin, 1)
        services = (service,) if status == "accepted" else ()
        store.record(ClaimRecord("P", "P", claim, "837P", "1", status, services, origin=origin))

    rec("h:1", "A", days(0))
    rec("h:2", "B", days(40))
    store.withdraw("P", ["h:1"], by="h:3")
    rec("h:3", "R", days(1))
    rec("h:1", "A", days(2))  # the same origin again: replaces its row and services
    rec("h:4", "X", days(5), status="rejected")
    store.withdraw("P", ["h:2", "h:1"], by="h:5")
    rec("h:5", "V", days(0))


def _rows(store) -> dict:
    snap = store.snapshot()
    return {**snap, "claim": [row[:-1] for row in snap["claim"]]}  # without recorded_at


@pytest.mark.slow
def test_queued_writes_land_as_writes_one_by_one(history_urls, open_history):
    one_by_one = open_history(history_urls())
    _script(one_by_one)  # outside a transaction: every write goes straight through
    queued = open_history(history_urls())
    queued.begin()
    queued.prefetch(["P"])
    _script(queued)
    assert [s.claim_id for s in queued.services("P")] == ["V", "R"]  # reads see the queue
    queued.commit()
    assert _rows(queued) == _rows(one_by_one)
    withdrawn = one_by_one.snapshot()["service"]
    assert sum(1 for row in withdrawn if row[11]) == 2  # A (again) and B withdrawn by V


@pytest.mark.slow
def test_prefetched_reads_answer_as_direct_reads(history_urls, open_history):
    store = open_history(history_urls())
    store.begin()
    _script(store)
    store.commit()
    store.begin()
    store.prefetch(["P", "Q"])
    ahead = (store.claims("P"), store.services("P"), store.withdrawn_services("P", "h:5"))
    assert store._ahead["P"].services is None  # handed out once
    assert (store.services("Q"), store.claims("Q")) == ([], {})
    store.rollback()
    direct = (store.claims("P"), store.services("P"), store.withdrawn_services("P", "h:5"))
    assert ahead == direct
    assert [s.claim_id for s in direct[2]] == ["A", "B"]


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_locks_every_key_of_a_long_list(postgres_urls):
    """2,500 keys are locked in three statements, each key; a key not listed is free."""
    url = postgres_urls()
    store, other = open_store(url), open_store(url)
    keys = [f"K{i:05d}" for i in range(2500)]
    try:
        other.begin()
        other.lock_patients([*keys, "FREE"])  # the rows exist (committed) before the test
        other.commit()
        store.begin()
        store.lock_patients(reversed(keys))
        store.services("K00000")  # sync the pipeline

        def taken(key: str) -> bool:
            with psycopg.connect(store.conninfo, autocommit=True) as conn:
                if store.schema:
                    conn.execute(f'SET search_path TO "{store.schema}"')
                try:
                    conn.execute(
                        "SELECT 1 FROM patient WHERE patient_key = %s FOR UPDATE NOWAIT", (key,)
                    )
                except psycopg.errors.LockNotAvailable:
                    return True
                return False

        assert [taken(k) for k in ("K00000", "K00999", "K01000", "K02499")] == [True] * 4
        assert not taken("FREE")
        store.commit()
        assert not taken("K01000")
    finally:
        store.close()
        other.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_chunked_locks_queue_rather_than_deadlock(postgres_urls):
    """Worker A holds the first chunk of keys; worker B asks for all of them in one
    call and must wait at the first key, holding nothing, so that A can take its next
    chunk and finish. (Were B's keys locked in another order than A's chunks, B would
    hold A's next chunk and PostgreSQL would have a deadlock to break. The order is code
    points, ``COLLATE "C"``, whatever the database's collation.)"""
    url = postgres_urls()
    keys = sorted(["a", "B", "b", "Z", "_x", "A1", "\u00e9", "E"])
    first, second = open_store(url), open_store(url)
    errors: list[BaseException] = []
    try:
        first.begin()
        first.lock_patients(keys)  # the rows exist (committed): only the row locks wait
        first.commit()
        first.begin()
        first.lock_patients(reversed(keys[:3]))
        first.services(keys[0])  # sync: the chunk is held

        def other() -> None:
            try:
                second.begin()
                second.lock_patients(reversed(keys))
                second.services(keys[0])
                second.commit()
            except BaseException as exc:  # pragma: no cover - reported below
                second.rollback()
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting for the first key
        first.lock_patients(keys[3:])
        first.services(keys[3])
        first.commit()
        thread.join(30)
    finally:
        first.close()
        second.close()
    assert errors == []


def test_the_spool_streams_patients_in_judging_order(tmp_path, monkeypatch):
    from edi837.spool import DigestSpool

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    paths, _ = write(batch(Path(tmp_path) / "b", members=30, files=2))
    digests = []
    run = RunContext(load_policy("bcbsma"))
    from edi837.screening import FileResult, read_file

    for index, path in enumerate(paths):
        digests += [(index, d) for d in read_file(FileResult(path, index), run)]
    spool = DigestSpool()
    try:
        for index, d in digests:
            spool.add(index, d)
        patients = spool.patients()
        assert not isinstance(patients, list)
        keys = list(patients)
        assert keys == sorted({d.patient_key for _, d in digests})
        assert [p for p, _ in spool.by_patient()] == keys
    finally:
        spool.close()
