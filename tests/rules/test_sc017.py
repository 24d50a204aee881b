"""SC017: an S-code service dated after the receipt date is rejected (A7:187)."""

from datetime import date, timedelta

from tests.scenario import Scenario, rules_of, s_claim

RECEIVED = date(2026, 6, 1)


def screen(tmp_path, day, **scenario):
    sc = Scenario(tmp_path, received=RECEIVED, **scenario)
    return sc.file(s_claim("A", "S0353", day)).run()["A"]


def test_the_receipt_day_itself_is_accepted(tmp_path):
    assert screen(tmp_path, RECEIVED).accepted


def test_one_day_after_receipt_is_rejected(tmp_path):
    verdict = screen(tmp_path, RECEIVED + timedelta(days=1))
    assert rules_of(verdict) == {"SC017"}
    finding = verdict.rejections[0]
    assert (finding.category, finding.status_code) == ("A7", "187")
    assert "1 day(s) after" in finding.message and "2026-06-01" in finding.message
    assert "DOMAIN.md" in finding.citation


def test_without_received_the_gs04_date_is_the_receipt_date(tmp_path):
    from edi837.screening import Screening

    sc = Scenario(tmp_path, received=None).file(s_claim("A", "S0353", date(2099, 1, 1)))
    [verdict] = list(Screening(sc.paths(), sc.run_context()).verdicts())
    assert "SC017" in rules_of(verdict)


def test_a_profile_can_turn_it_off(tmp_path):
    from pathlib import Path

    import edi837.policy
    from edi837.policy import load_policy, parse_policy

    text = (Path(edi837.policy.__file__).parent / "bcbsma.toml").read_text()
    text = text.replace(
        "[service_after_receipt]\nvalue = true", "[service_after_receipt]\nvalue = false"
    )
    policy = parse_policy(text, where="custom.toml")
    assert policy.service_after_receipt is False
    assert load_policy("bcbsma").service_after_receipt is True
