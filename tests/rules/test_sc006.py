"""SC006: S0354 at most once per 30 days (previous + 30 or later)."""

import pytest

from tests.scenario import Scenario, days, rules_of, s_claim


@pytest.mark.parametrize(("gap", "accepted"), [(0, False), (29, False), (30, True), (45, True)])
def test_interval_boundary(tmp_path, gap, accepted):
    v = (
        Scenario(tmp_path)
        .file(s_claim("A", "S0354", days(0)), s_claim("B", "S0354", days(gap)))
        .run()
    )
    assert v["A"].accepted
    assert v["B"].accepted is accepted
    if not accepted:
        assert rules_of(v["B"]) == {"SC006"}


def test_rejected_claim_does_not_count(tmp_path):
    # B is rejected (29 days); C at day 35 is measured from A (accepted), not from B.
    v = (
        Scenario(tmp_path)
        .file(
            s_claim("A", "S0354", days(0)),
            s_claim("B", "S0354", days(29)),
            s_claim("C", "S0354", days(35)),
        )
        .run()
    )
    assert [v[k].accepted for k in "ABC"] == [True, False, True]


def test_late_claim_between_two_accepted_is_caught(tmp_path):
    sc = Scenario(tmp_path)
    sc.file(s_claim("A", "S0354", days(0)), s_claim("C", "S0354", days(60)))
    sc.file(s_claim("B", "S0354", days(40)))
    v = sc.run()
    assert v["A"].accepted and v["C"].accepted is False or v["B"].accepted is False
    # Judged in date order: A(0) accepted, B(40) accepted, C(60) within 30 of B: rejected.
    assert v["B"].accepted and not v["C"].accepted
