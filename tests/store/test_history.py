"""History across runs, on SQLite and PostgreSQL alike: what a claim accepted in one run
does to claims judged in later runs, and what the store keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from edi837.store import ClaimRecord
from edi837.synth.spec import PersonSpec
from edi837.timeline import Service
from tests.scenario import DAY0, Auth, Scenario, days, rules_of, s_claim


def run(tmp: Path, name: str, store, *claims, **scenario):
    """Screen one file of ``claims`` (written under tmp/name) against ``store``."""
    folder = tmp / name
    folder.mkdir(exist_ok=True)
    return Scenario(folder, **scenario).file(*claims).run(history=store)


def verdicts(out) -> dict[str, tuple[bool, set[str]]]:
    return {k: (v.accepted, rules_of(v)) for k, v in out.items()}


@pytest.mark.slow
def test_claim_accepted_in_one_run_limits_the_next(tmp_path, history_url, open_history):
    store = open_history(history_url)
    assert run(tmp_path, "r1", store, s_claim("A", "S0354", days(0)))["A"].accepted
    store.close()
    store = open_history(history_url)  # another process, another day
    later = run(tmp_path, "r2", store, s_claim("B", "S0354", days(20)))["B"]
    assert rules_of(later) == {"SC006"}
    assert "claim A" in later.rejections[0].message
    assert run(tmp_path, "r3", store, s_claim("C", "S0354", days(30)))["C"].accepted


@pytest.mark.slow
def test_rescreening_the_same_file_changes_nothing(tmp_path, history_url, open_history):
    store = open_history(history_url)
    claims = [
        s_claim("A", "S0354", days(0)),
        s_claim("B", "S0354", days(10)),  # rejected: 10 days after A
        s_claim("C", "S0354", days(45)),
        s_claim("V", "S0354", days(45), frequency="8", ref_f8="GHOST", member="MBR0002"),
    ]
    first = verdicts(run(tmp_path, "r1", store, *claims))
    assert first["A"] == (True, set()) and first["B"] == (False, {"SC006"})
    before = store.snapshot()
    again = verdicts(run(tmp_path, "r1", store, *claims))
    assert again == first
    assert store.snapshot() == before  # timestamps included: nothing was rewritten


@pytest.mark.slow
def test_rejected_claim_is_seen_but_never_counts(tmp_path, history_url, open_history):
    store = open_history(history_url)
    out = run(tmp_path, "r1", store, s_claim("A", "S0354", days(0), order="NOPE"))
    assert not out["A"].accepted
    assert store.services("MBR0001") == []
    [claim] = store.snapshot()["claim"]
    assert claim[:2] == ("MBR0001", "A") and "rejected" in claim
    assert run(tmp_path, "r2", store, s_claim("B", "S0354", days(10)))["B"].accepted


@pytest.mark.slow
def test_corrected_resubmission_is_judged_fresh(tmp_path, history_url, open_history):
    store = open_history(history_url)
    assert not run(tmp_path, "r1", store, s_claim("A", "S0354", days(0), order="NOPE"))[
        "A"
    ].accepted
    # The corrected claim comes back as a new original with the same CLM01.
    assert run(tmp_path, "r2", store, s_claim("A", "S0354", days(0)))["A"].accepted
    assert [s.claim_id for s in store.services("MBR0001")] == ["A"]
    assert rules_of(run(tmp_path, "r3", store, s_claim("B", "S0354", days(20)))["B"]) == {"SC006"}


@pytest.mark.slow
def test_rejected_duplicate_leaves_the_accepted_claim_standing(history_url, open_history):
    store = open_history(history_url)
    service = Service("S0354", DAY0, 1, "A", "837P", "ORD1001", "MBR0001", "f1.837", 1)
    store.begin()
    store.record(ClaimRecord("MBR0001", "MBR0001", "A", "837P", "1", "accepted", (service,)))
    store.commit()
    store.begin()
    store.record(ClaimRecord("MBR0001", "MBR0001", "A", "837P", "1", "rejected", ()))
    store.commit()
    assert store.services("MBR0001") == [service]


@pytest.mark.slow
def test_void_in_run_2_frees_the_window_for_run_3(tmp_path, history_url, open_history):
    store = open_history(history_url)
    assert run(tmp_path, "r1", store, s_claim("A", "S0354", days(0)))["A"].accepted
    void = run(tmp_path, "r2", store, s_claim("V", "S0354", days(0), frequency="8", ref_f8="A"))[
        "V"
    ]
    assert void.accepted
    assert any(f.rule == "SC014" and "no longer" in f.message for f in void.findings)
    assert store.services("MBR0001") == []
    assert run(tmp_path, "r3", store, s_claim("B", "S0354", days(10)))["B"].accepted


@pytest.mark.slow
def test_replacement_in_a_later_run_replaces(tmp_path, history_url, open_history):
    store = open_history(history_url)
    assert run(tmp_path, "r1", store, s_claim("A", "S0354", days(0)))["A"].accepted
    assert run(tmp_path, "r2", store, s_claim("R", "S0354", days(5), frequency="7", ref_f8="A"))[
        "R"
    ].accepted
    assert [(s.claim_id, s.service_date) for s in store.services("MBR0001")] == [("R", days(5))]
    out = run(
        tmp_path, "r3", store, s_claim("B", "S0354", days(34)), s_claim("C", "S0354", days(35))
    )
    assert rules_of(out["B"]) == {"SC006"}  # 29 days after the replacement
    assert out["C"].accepted


@pytest.mark.slow
def test_one_form_across_runs(tmp_path, history_url, open_history):
    store = open_history(history_url)
    assert run(tmp_path, "r1", store, s_claim("A", "S0354", days(0)))["A"].accepted
    out = run(tmp_path, "r2", store, s_claim("B", "S0354", days(0), form="837I"))["B"]
    assert "SC003" in rules_of(out)
    assert "claim A" in next(f.message for f in out.rejections if f.rule == "SC003")


@pytest.mark.slow
def test_dependants_have_their_own_timeline(tmp_path, history_url, open_history):
    store = open_history(history_url)
    child = PersonSpec("DOE", "KID", DAY0.replace(year=2012))
    assert run(tmp_path, "r1", store, s_claim("A", "S0354", days(0)))["A"].accepted
    out = run(tmp_path, "r2", store, s_claim("K", "S0354", days(10), patient=child))["K"]
    assert out.accepted
    assert [s.claim_id for s in store.services("MBR0001/DOE/KID/2012-03-02")] == ["K"]


@pytest.mark.slow
def test_many_members_and_files(tmp_path, history_url, open_history):
    from tests.store.batch import batch

    store = open_history(history_url)
    sc = batch(tmp_path / "b", members=60, files=3)
    first = sc.run(history=store)
    assert store.counts()["claim"] == 180
    again = sc.run(history=store)
    assert verdicts(again) == verdicts(first)
    accepted = {k for k, v in first.items() if v.accepted}
    assert {r[1] for r in store.snapshot()["claim"] if "accepted" in r} == accepted
    assert 0 < len(accepted) < 180


@pytest.mark.slow
def test_store_survives_reopen_with_the_same_auths(tmp_path, history_url, open_history):
    auths = [Auth(), Auth(order_id="ORD2", member_id="MBR0002")]
    store = open_history(history_url)
    run(
        tmp_path,
        "r1",
        store,
        s_claim("A", "S0354", days(0)),
        s_claim("D", "S0354", days(0), member="MBR0002", order="ORD2"),
        auths=auths,
    )
    store.close()
    store = open_history(history_url)
    out = run(
        tmp_path,
        "r2",
        store,
        s_claim("A2", "S0354", days(29)),
        s_claim("D2", "S0354", days(30), member="MBR0002", order="ORD2"),
        auths=auths,
    )
    assert rules_of(out["A2"]) == {"SC006"} and out["D2"].accepted


@pytest.mark.slow
def test_rescreening_a_batch_with_replacements_and_voids_is_idempotent(tmp_path):
    """Originals and their replacements share a CLM01; a second run of the same file must
    not judge the original against its own (already recorded) replacement."""
    from edi837.policy import load_policy
    from edi837.rules.context import RunContext
    from edi837.screening import Screening
    from edi837.store.base import MemoryHistory
    from edi837.synth.random_batch import random_claims
    from edi837.synth.writer import write_837_file

    path = tmp_path / "batch.837"
    claims = list(random_claims(7, 1500, form="mixed"))
    assert any(c.frequency in ("7", "8") for c in claims)
    write_837_file(path, claims)
    store = MemoryHistory()
    run = RunContext(load_policy("bcbsma"))

    def verdicts():
        return [
            (v.claim.CLM01, v.status, sorted(f.rule for f in v.findings))
            for v in Screening([path], run, store).verdicts()
        ]

    first = verdicts()
    assert verdicts() == first
    assert verdicts() == first
