"""SC008: an authorized order covers member, date and code; REF*G1 or a fallback match."""

from datetime import date

import pytest

from edi837.rules.selection import RuleSelection
from edi837.screening import Screening
from tests.scenario import OTHER_NPI, Auth, Scenario, days, rules_of, s_claim


def test_authorized_order_accepts(tmp_path):
    assert Scenario(tmp_path).file(s_claim("OK")).run()["OK"].accepted


@pytest.mark.parametrize("status", ["non-authorized", "cancelled"])
def test_status_other_than_authorized_rejects(tmp_path, status):
    v = Scenario(tmp_path, auths=[Auth(status=status)]).file(s_claim("X")).run()["X"]
    assert rules_of(v) == {"SC008"} and status in v.rejections[0].message


def test_valid_date_range_boundaries(tmp_path):
    sc = Scenario(tmp_path, auths=[Auth(valid_from=days(0), valid_to=days(30))])
    v = sc.file(
        s_claim("BEFORE", "S0353", days(-1)),
        s_claim("FIRST", "S0353", days(0), member="MBR0002", order="O2"),
    ).run()
    assert not v["BEFORE"].accepted
    assert "valid dates" in v["BEFORE"].rejections[0].message


def test_first_and_last_valid_day_accepted(tmp_path):
    auths = [
        Auth(valid_from=days(0), valid_to=days(30)),
        Auth(order_id="O2", member_id="MBR0002", valid_from=days(0), valid_to=days(30)),
    ]
    v = (
        Scenario(tmp_path, auths=auths)
        .file(
            s_claim("FIRST", "S0354", days(0)),
            s_claim("LAST", "S0354", days(30), member="MBR0002", order="O2"),
            s_claim("AFTER", "S0354", days(31), member="MBR0003", order="O2"),
        )
        .run()
    )
    assert v["FIRST"].accepted and v["LAST"].accepted
    assert not v["AFTER"].accepted  # order O2 belongs to another member
    assert v["AFTER"].rejections[0].category == "A8"


def test_code_not_awarded(tmp_path):
    v = Scenario(tmp_path, auths=[Auth(s_codes="S0353")]).file(s_claim("X", "S0354")).run()
    assert "awards S0353, not S0354" in v["X"].rejections[0].message


def test_unknown_order_id(tmp_path):
    v = Scenario(tmp_path).file(s_claim("X", order="NOPE")).run()["X"]
    f = v.rejections[0]
    assert f.rule == "SC008" and f.status_code == "252" and f.value == "NOPE"


def test_no_ref_g1_matched_by_member_npi_date_is_a_warning(tmp_path):
    v = Scenario(tmp_path).file(s_claim("X", order=None)).run()["X"]
    assert v.accepted
    warn = [f for f in v.findings if f.rule == "SC008"]
    assert warn and not warn[0].rejects and "REF*G1*ORD1001" in warn[0].fix


def test_no_ref_g1_and_no_match_rejects(tmp_path):
    sc = Scenario(tmp_path, auths=[Auth(valid_from=date(2025, 1, 1), valid_to=date(2025, 2, 1))])
    v = sc.file(s_claim("X", order=None)).run()["X"]
    assert rules_of(v) == {"SC008"} and v.rejections[0].category == "A6"


def test_without_feed_the_rule_does_not_reject(tmp_path):
    sc = Scenario(tmp_path, use_auths=False)
    assert sc.file(s_claim("X", order="ANY")).run()["X"].accepted


def _run_ignoring_sc008(sc: Scenario) -> dict:
    """The scenario screened with ``--ignore SC008``."""
    run = sc.run_context()
    run.rules = RuleSelection.build(run.policy.rules, ignore=["SC008"])
    with Screening(sc.paths(), run) as screening:
        return {v.claim.CLM01: v for v in screening.verdicts()}


def test_sc007_reads_the_order_when_sc008_is_ignored(tmp_path):
    """The covering authorization is worked out once for SC007, SC008 and SC009: turning
    SC008 off must not make SC007 forget the order's month limit (3, not the default 11)."""
    sc = Scenario(tmp_path, auths=[Auth(s0354_max_months="3")])
    sc.file(*[s_claim(f"M{i}", "S0354", days(30 * i)) for i in range(4)])
    v = _run_ignoring_sc008(sc)
    assert [v[f"M{i}"].accepted for i in range(4)] == [True, True, True, False]
    assert rules_of(v["M3"]) == {"SC007"} and "the limit is 3" in v["M3"].rejections[0].message
    assert not any(f.rule == "SC008" for x in v.values() for f in x.findings)


def test_sc009_reads_the_order_when_sc008_is_ignored(tmp_path):
    """SC009 compares the billed ordering provider with the order's, also with SC008 off
    (the ordering NPI is in network, so only the order comparison can reject)."""
    sc = Scenario(tmp_path, auths=[Auth(ordering_npi=OTHER_NPI)])
    v = _run_ignoring_sc008(sc.file(s_claim("X")))["X"]
    assert rules_of(v) == {"SC009"}
    assert f"ordering provider {OTHER_NPI} of order ORD1001" in v.rejections[0].message
