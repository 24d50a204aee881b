"""An accepted claim stays accepted; duplicates are named; replacement chains hold; old
stores migrate (issue 12). Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from edi837.screening import Screening
from edi837.store.base import MemoryHistory
from edi837.store.migrations import MIGRATIONS
from edi837.synth.writer import write_837_file
from tests.scenario import Scenario, days, rules_of, s_claim, s_line


class Runs:
    """Files written once (so a file screened again has the same content, the same
    origin) and screened in any combination against one store."""

    def __init__(self, tmp: Path, store) -> None:
        self.tmp, self.store = tmp, store
        self.scenario = Scenario(tmp)
        self.context = self.scenario.run_context()
        self.files: dict[str, Path] = {}

    def write(self, name: str, *claims, isa: int = 1) -> Path:
        path = self.files[name] = self.tmp / f"{name}.837"
        write_837_file(path, claims, isa_control=isa)
        return path

    def check(self, *names: str) -> dict[tuple[str, str], object]:
        screening = Screening([self.files[n] for n in names], self.context, self.store)
        return {(Path(v.claim.envelope.file).stem, v.claim.CLM01): v for v in screening.verdicts()}


@pytest.mark.slow
def test_three_runs_a_stays_accepted_b_is_rejected(tmp_path, history_url, open_history):
    """The issue's sequence: check a; check a b; check a."""
    store = open_history(history_url)
    runs = Runs(tmp_path, store)
    runs.write("a", s_claim("A1", "S0354", date(2026, 4, 21)), isa=1)
    runs.write("b", s_claim("B1", "S0354", date(2026, 4, 19)), isa=2)
    assert runs.check("a")[("a", "A1")].accepted
    second = runs.check("a", "b")
    assert second[("a", "A1")].accepted
    b = second[("b", "B1")]
    assert not b.accepted and rules_of(b) == {"SC006"}
    assert "2 days before" in b.rejections[0].message and "claim A1" in b.rejections[0].message
    assert runs.check("a")[("a", "A1")].accepted
    assert [(s.claim_id, s.service_date) for s in store.services("MBR0001")] == [
        ("A1", date(2026, 4, 21))
    ]
    rejected = store.rejected_rows("MBR0001")
    assert [r[2] for r in rejected] == ["B1"] and "SC006" in rejected[0][15]
    # The same batch in the other order changes nothing either.
    assert runs.check("b", "a")[("a", "A1")].accepted


@pytest.mark.slow
def test_new_claims_are_judged_against_later_accepted_services(tmp_path, history_url, open_history):
    store = open_history(history_url)
    runs = Runs(tmp_path, store)
    runs.write("a", s_claim("A1", "S0354", days(40)), isa=1)
    runs.write("b", s_claim("B1", "S0353", days(20)), s_claim("B2", "S0354", days(11)), isa=2)
    runs.check("a")
    out = runs.check("b")
    # An S0353 only 20 days before an accepted S0354; an S0354 29 days before another.
    assert rules_of(out[("b", "B1")]) == {"SC004"}
    assert "20 days before S0354" in out[("b", "B1")].rejections[0].message
    assert rules_of(out[("b", "B2")]) == {"SC006"}
    assert len(store.services("MBR0001")) == 1


@pytest.mark.slow
def test_a_resent_claim_is_a_duplicate_naming_the_first(tmp_path, history_url, open_history):
    store = open_history(history_url)
    runs = Runs(tmp_path, store)
    runs.write("first", s_claim("A1", "S0354", days(0)), isa=7)
    runs.write("again", s_claim("A1", "S0354", days(0)), isa=8)  # new interchange
    assert runs.check("first")[("first", "A1")].accepted
    dup = runs.check("again")[("again", "A1")]
    assert rules_of(dup) == {"SC016"}
    finding = dup.rejections[0]
    assert (finding.category, finding.status_code) == ("A7", "54")
    assert "claim A1" in finding.message and "first.837" in finding.message
    assert "ISA13 000000007" in finding.message
    # Re-screening the very same file is not a duplicate.
    assert runs.check("first")[("first", "A1")].accepted
    # A changed charge is not the same claim: judged by the frequency rules instead.
    changed = s_claim("A1", lines=[s_line("S0354", days(0), charge=Decimal("310"))])
    runs.write("changed", changed, isa=10)
    assert rules_of(runs.check("changed")[("changed", "A1")]) == {"SC006"}


@pytest.mark.slow
def test_replacement_chains_and_a_void_of_the_standing_claim(tmp_path, history_url, open_history):
    store = open_history(history_url)
    runs = Runs(tmp_path, store)
    runs.write("r0", s_claim("A", "S0354", days(0)), isa=1)
    runs.write("r1", s_claim("R1", "S0354", days(2), frequency="7", ref_f8="A"), isa=2)
    runs.write("r2", s_claim("R2", "S0354", days(4), frequency="7", ref_f8="A"), isa=3)
    runs.write("v", s_claim("V", "S0354", days(4), frequency="8", ref_f8="A"), isa=4)
    for name in ("r0", "r1", "r2"):
        verdict = next(iter(runs.check(name).values()))
        assert verdict.accepted, (name, verdict.findings)
    r2 = runs.check("r2")[("r2", "R2")]
    assert any(
        f.rule == "SC014" and "replacement of claim R1" in f.message for f in r2.findings
    )  # the note survives a re-screen
    assert [(s.claim_id, s.service_date) for s in store.services("MBR0001")] == [("R2", days(4))]
    void = runs.check("v")[("v", "V")]
    assert void.accepted and any("void of claim R2" in f.message for f in void.findings)
    assert store.services("MBR0001") == []
    # Re-screening everything gives the same verdicts and leaves the store as it is.
    before = store.snapshot()
    again = runs.check("r0", "r1", "r2", "v")
    assert all(v.accepted for v in again.values())
    assert store.snapshot() == before


def test_second_replacement_in_one_batch_replaces_the_first(tmp_path):
    sc = Scenario(tmp_path).file(
        s_claim("A", "S0354", days(0)),
        s_claim("R1", "S0354", days(1), frequency="7", ref_f8="A"),
        s_claim("R2", "S0354", days(2), frequency="7", ref_f8="A"),
    )
    store = MemoryHistory()
    v = sc.run(history=store)
    assert all(x.accepted for x in v.values()), {k: x.findings for k, x in v.items()}
    assert [s.claim_id for s in store.services("MBR0001")] == ["R2"]


def test_at_equal_dates_originals_first_without_history(tmp_path):
    """A replacement of a claim the store does not hold comes after the day's originals."""
    sc = Scenario(tmp_path).file(
        s_claim("R", "S0354", days(0), frequency="7", ref_f8="GHOST"),
        s_claim("B", "S0354", days(0)),
    )
    v = sc.run(history=MemoryHistory())
    assert v["B"].accepted
    assert "SC006" in rules_of(v["R"])


def _old_store(url: str) -> None:
    """A version-1 store (claims keyed by patient and CLM01) with one accepted claim, one
    rejected claim and one withdrawn service."""
    rows = [
        "INSERT INTO schema_version VALUES (1, 'v1', '2026-01-01T00:00:00Z')",
        "INSERT INTO patient VALUES ('MBR0001')",
        "INSERT INTO claim VALUES ('MBR0001', 'A', 'MBR0001', '837P', '1', 'accepted',"
        " 'a.837', 'SENDER', '000000001', 'h1', '2026-01-01T00:00:00Z')",
        "INSERT INTO claim VALUES ('MBR0001', 'B', 'MBR0001', '837P', '1', 'rejected',"
        " 'b.837', 'SENDER', '000000002', 'h2', '2026-01-01T00:00:00Z')",
        "INSERT INTO service VALUES ('MBR0001', 'A', 1, 'S0354', '2026-03-02', 1, 'ORD1001',"
        " 1, 'MBR0001', '837P', 'h1:3', {false})",
        "INSERT INTO service VALUES ('MBR0001', 'OLD', 1, 'S0354', '2026-01-02', 1,"
        " 'ORD1001', 1, 'MBR0001', '837P', 'paid.csv', {true})",
    ]
    if url.startswith("sqlite"):
        db = sqlite3.connect(url[len("sqlite:///") :])
        db.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
            " description TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for statement in MIGRATIONS[0].sqlite:
            db.execute(statement)
        for statement in rows:
            db.execute(statement.format(false="0", true="1"))
        db.commit()
        db.close()
        return
    import psycopg
    from psycopg import sql

    from edi837.store.postgres import split_schema

    conninfo, schema = split_schema(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
            " description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        for statement in MIGRATIONS[0].postgres:
            conn.execute(statement)
        for statement in rows:
            conn.execute(statement.format(false="FALSE", true="TRUE"))


@pytest.mark.slow
def test_a_version_1_store_migrates_with_its_data(tmp_path, history_url, open_history):
    _old_store(history_url)
    store = open_history(history_url)
    assert store.schema_version() == len(MIGRATIONS)
    [service] = store.services("MBR0001")
    assert (service.claim_id, service.service_date, service.source) == (
        "A",
        date(2026, 3, 2),
        "h1:3",
    )
    claims = store.claims("MBR0001")
    assert claims["h1:3"].status == "accepted" and claims["h1:3"].isa13 == "000000001"
    assert claims["h2:CLM01=B"].status == "rejected"
    assert claims["paid.csv:CLM01=OLD"].withdrawn_by == "migrated"
    # The migrated history still limits new claims.
    later = Scenario(tmp_path / "new").file(s_claim("C", "S0354", days(10))).run(history=store)
    assert rules_of(later["C"]) == {"SC006"}
