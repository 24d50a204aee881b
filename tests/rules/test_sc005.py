"""SC005: S0354 at least 30 days after the accepted S0353 (day 29 rejected, day 30 accepted)."""

import pytest

from tests.scenario import Scenario, days, rules_of, s_claim


@pytest.mark.parametrize(
    ("gap", "accepted"), [(0, False), (1, False), (29, False), (30, True), (31, True), (200, True)]
)
def test_s0354_gap_after_s0353_boundary(tmp_path, gap, accepted):
    v = (
        Scenario(tmp_path)
        .file(s_claim("INIT", "S0353", days(0)), s_claim("EST", "S0354", days(gap)))
        .run()
    )
    assert v["INIT"].accepted
    assert v["EST"].accepted is accepted
    if not accepted:
        assert rules_of(v["EST"]) == {"SC005"}
        finding = v["EST"].rejections[0]
        assert f"{gap} days after" in finding.message or "same day" in finding.message
        assert finding.category == "A7" and finding.line == 1


def test_rejected_s0353_does_not_start_the_window(tmp_path):
    # The S0353 is rejected (not authorized for it), so it was never reimbursed.
    sc = Scenario(tmp_path)
    sc.auths[0].s_codes = "S0354"
    v = sc.file(s_claim("INIT", "S0353", days(0)), s_claim("EST", "S0354", days(10))).run()
    assert not v["INIT"].accepted
    assert v["EST"].accepted


def test_message_names_both_dates(tmp_path):
    v = (
        Scenario(tmp_path)
        .file(s_claim("INIT", "S0353", days(0)), s_claim("EST", "S0354", days(20)))
        .run()
    )
    msg = v["EST"].rejections[0].message
    assert str(days(20)) in msg and str(days(0)) in msg and "20 days after" in msg
