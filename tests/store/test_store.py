"""The store itself: URLs, migrations, control numbers, locking and the retry helper."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from edi837.store import (
    SCHEMA_VERSION,
    ClaimRecord,
    MemoryHistory,
    MemoryStore,
    StoreError,
    default_history_url,
    is_transient,
    open_store,
    retry_transient,
    run_in_transaction,
)
from edi837.store.migrations import MIGRATIONS
from edi837.store.sqlite import SqliteHistory
from edi837.timeline import Service
from tests.scenario import DAY0


def accepted(patient: str, claim_id: str, day=DAY0) -> ClaimRecord:
    service = Service("S0354", day, 1, claim_id, "837P", "ORD1001", patient, "f.837", 1)
    return ClaimRecord(patient, patient, claim_id, "837P", "1", "accepted", (service,))


# -- URLs -------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [None, "", "none", "NONE"])
def test_no_url_keeps_history_in_memory(url):
    store = open_store(url)
    assert isinstance(store, MemoryHistory) and isinstance(store, MemoryStore)
    assert [store.next_control_number("999") for _ in range(3)] == [1, 2, 3]


def test_sqlite_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for url, path in [
        ("sqlite:///rel/h.db", tmp_path / "rel" / "h.db"),
        (f"sqlite:///{tmp_path}/abs.db", tmp_path / "abs.db"),
        (str(tmp_path / "bare.db"), tmp_path / "bare.db"),
        (f"sqlite:///{tmp_path}/t.db?timeout=5", tmp_path / "t.db"),
    ]:
        store = open_store(url)
        assert isinstance(store, SqliteHistory) and path.exists(), url
        store.close()
    memory = open_store("sqlite:///:memory:")
    memory.begin()
    memory.record(accepted("P", "A"))
    memory.commit()
    assert len(memory.services("P")) == 1


def test_default_location_is_created_on_first_use(edi837_home, monkeypatch, tmp_path):
    assert default_history_url() == f"sqlite:///{edi837_home}/history.db"
    open_store(default_history_url()).close()
    assert (edi837_home / "history.db").exists()
    monkeypatch.delenv("EDI837_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_history_url() == f"sqlite:///{tmp_path}/xdg/edi837/history.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_history_url() == f"sqlite:///{tmp_path}/home/.local/share/edi837/history.db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x/y", "unknown history URL scheme 'mysql'"),
        ("sqlite://relative.db", "a SQLite URL is sqlite:///PATH"),
        ("sqlite:///", "no file name"),
        ("sqlite:///h.db?timeout=soon", "timeout must be a number"),
        ("sqlite:///h.db?mode=ro", "unknown SQLite URL parameter(s) mode"),
        ("postgresql://nobody:secret@127.0.0.1:1/none", "cannot connect"),
    ],
)
def test_bad_urls_are_one_line_errors(url, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=None) as info:
        open_store(url)
    assert message in str(info.value)
    assert "secret" not in str(info.value)


# -- migrations -------------------------------------------------------------------------
def _versions(store):
    return [tuple(r) for r in store._execute("SELECT * FROM schema_version").fetchall()]


def test_migrations_apply_once_and_reopen_is_a_no_op(history_url, open_history):
    store = open_history(history_url)
    first = _versions(store)
    assert [r[0] for r in first] == list(range(1, len(MIGRATIONS) + 1))
    assert store.schema_version() == SCHEMA_VERSION
    store.begin()
    store.record(accepted("P", "A"))
    store.commit()
    store.close()
    again = open_history(history_url)
    assert _versions(again) == first
    assert len(again.services("P")) == 1


@pytest.mark.slow
def test_concurrent_openers_of_a_new_store_do_not_race(history_url, open_history):
    errors, stores = [], []

    def opener():
        try:
            stores.append(open_store(history_url))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    versions = [r[0] for r in _versions(open_history(history_url))]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


@pytest.mark.slow
def test_a_newer_schema_is_refused(history_url, open_history):
    store = open_history(history_url)
    store._execute(f"INSERT INTO schema_version VALUES (99, 'future', {store.NOW})")
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        open_store(history_url)


@pytest.mark.slow
# -- control numbers ---------------------------------------------------------------------
def test_control_numbers_increase_per_kind_across_connections(history_url, open_history):
    one, two = open_history(history_url), open_history(history_url)
    assert [one.next_control_number("277CA") for _ in range(3)] == [1, 2, 3]
    assert two.next_control_number("277CA") == 4
    assert two.next_control_number("999") == 1
    one.close()
    assert open_history(history_url).next_control_number("277CA") == 5


@pytest.mark.slow
def test_control_numbers_are_unique_under_concurrency(history_url, open_history):
    got: list[int] = []
    lock = threading.Lock()

    def worker():
        store = open_store(history_url)
        try:
            numbers = [store.next_control_number("split") for _ in range(25)]
        finally:
            store.close()
        assert numbers == sorted(numbers)
        with lock:
            got.extend(numbers)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 101))


@pytest.mark.slow
def test_control_numbers_and_a_rolled_back_run(backend, history_url, open_history):
    store = open_history(history_url)
    store.begin()
    first = store.next_control_number("277CA")
    store.rollback()
    expected = first + 1 if backend == "postgres" else first  # see sqlite.py docstring
    assert store.next_control_number("277CA") == expected


# -- transactions and locking --------------------------------------------------------------
def test_rollback_leaves_the_store_unchanged(history_url, open_history):
    store = open_history(history_url)
    before = store.snapshot()
    store.begin()
    store.lock_patients(["P"])
    store.record(accepted("P", "A"))
    store.withdraw("P", ["A"])
    store.rollback()
    assert store.snapshot() == before


@pytest.mark.slow
def test_a_second_worker_waits_for_the_first(history_url, open_history):
    first, second = open_history(history_url), open_history(history_url)
    first.begin()
    first.lock_patients(["P", "Q"])
    seen: list[list[Service]] = []

    def other_worker():
        second.begin()
        second.lock_patients(["Q"])
        seen.append(second.services("Q"))
        second.commit()

    thread = threading.Thread(target=other_worker)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # blocked on Q
    first.record(accepted("Q", "A"))
    first.commit()
    thread.join(5)
    assert [[s.claim_id for s in got] for got in seen] == [["A"]]  # saw the commit


@pytest.mark.postgres
def test_disjoint_patients_do_not_wait_on_postgres(postgres_urls):
    url = postgres_urls()
    first, second = open_store(url), open_store(url)
    try:
        first.begin()
        first.lock_patients(["P"])
        second.begin()
        second.lock_patients(["Q"])  # would hang if it waited for P
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_locking_a_huge_run_does_not_exhaust_the_lock_table(postgres_urls):
    """20,000 patients in one transaction: far above max_locks_per_transaction (64) times
    max_connections, which one advisory lock per patient would overflow."""
    store = open_store(postgres_urls())
    try:
        store.begin()
        store.lock_patients(f"M{i:06d}" for i in range(20_000))
        held = store._execute(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
        ).fetchone()[0]
        store.commit()
        assert held < 20
        assert store.counts()["patient"] == 20_000
    finally:
        store.close()


@pytest.mark.postgres
def test_lock_patients_outside_a_transaction_is_a_wiring_error(postgres_urls):
    store = open_store(postgres_urls())
    try:
        with pytest.raises(StoreError, match="needs an open transaction"):
            store.lock_patients(["P"])
    finally:
        store.close()


# -- retry helper --------------------------------------------------------------------------
class Deadlock(Exception):
    sqlstate = "40P01"


def test_transient_failures_are_recognised():
    assert is_transient(Deadlock())
    assert is_transient(sqlite3.OperationalError("database is locked"))
    wrapped = RuntimeError("judge step failed")
    wrapped.__cause__ = Deadlock()
    assert is_transient(wrapped)
    assert not is_transient(ValueError("bad claim"))
    assert not is_transient(sqlite3.OperationalError("no such table: claim"))


@pytest.mark.slow
def test_run_in_transaction_retries_a_deadlocked_attempt(history_url, open_history):
    store = open_history(history_url)
    attempts = []

    def judge_step():
        attempts.append(1)
        store.lock_patients(["P"])
        store.record(accepted("P", f"A{len(attempts)}"))
        if len(attempts) < 3:
            raise Deadlock("deadlock detected")
        return "done"

    assert run_in_transaction(store, judge_step, backoff=0.001) == "done"
    assert len(attempts) == 3
    assert [r[1] for r in store.snapshot()["claim"]] == ["A3"]  # attempts 1-2 rolled back
    assert not store.in_transaction


def test_run_in_transaction_gives_up_and_rolls_back(history_url, open_history):
    store = open_history(history_url)

    def always_fails():
        store.record(accepted("P", "A"))
        raise Deadlock("deadlock detected")

    with pytest.raises(Deadlock):
        run_in_transaction(store, always_fails, attempts=2, backoff=0.001)
    with pytest.raises(ValueError):
        run_in_transaction(store, lambda: (store.record(accepted("P", "B")), int("x")))
    assert store.snapshot()["claim"] == []


def test_retry_transient_reruns_a_self_contained_step():
    calls = []
    store = MemoryStore()

    def step():
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return len(calls)

    assert retry_transient(store, step, backoff=0.001) == 2


@pytest.mark.slow
@pytest.mark.postgres
def test_a_real_deadlock_is_retried(postgres_urls):
    """Two runs locking two patients in opposite orders (the judge never does: it locks
    a run's patients in one sorted call); PostgreSQL aborts one, which runs again."""
    url = postgres_urls()
    stores = [open_store(url), open_store(url)]
    barrier = threading.Barrier(2, timeout=10)
    attempts = [0, 0]
    errors: list[BaseException] = []

    def worker(i: int, first: str, second: str) -> None:
        store = stores[i]

        def step():
            attempts[i] += 1
            store.lock_patients([first])
            store.services(first)  # sync the pipeline: the lock is held now
            if attempts[i] == 1:
                barrier.wait()
            store.lock_patients([second])
            store.services(second)
            store.record(accepted(second, f"by{i}"))

        try:
            run_in_transaction(store, step, backoff=0.01)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(0, "P", "Q")),
        threading.Thread(target=worker, args=(1, "Q", "P")),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        for s in stores:
            s.close()
    assert errors == []
    assert sorted(attempts) == [1, 2]
    check = open_store(url)
    try:
        assert sorted(r[1] for r in check.snapshot()["claim"]) == ["by0", "by1"]
    finally:
        check.close()


@pytest.mark.postgres
def test_postgres_schema_from_the_search_path(postgres_urls):
    url = postgres_urls()
    base, schema = url.split("?schema=")
    store = open_store(url)  # creates the schema
    store.begin()
    store.record(accepted("P", "A"))
    store.commit()
    store.close()
    same = open_store(f"{base}?options=-csearch_path%3D{schema}")
    try:
        assert [s.claim_id for s in same.services("P")] == ["A"]
    finally:
        same.close()
    with pytest.raises(StoreError, match="no schema of the search_path exists"):
        open_store(f"{base}?options=-csearch_path%3D{schema}_missing")


def test_a_file_that_is_not_a_store_is_a_one_line_error(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("not a database\n")
    with pytest.raises(StoreError, match="notes.db: cannot open the history store"):
        open_store(f"sqlite:///{bogus}")
