"""SC012: timely filing against --received or the file's GS04 date; 365 by default."""

from datetime import date, timedelta

from tests.scenario import Scenario, rules_of, s_claim

RECEIVED = date(2026, 11, 2)


def run(tmp_path, age, received=RECEIVED):
    sc = Scenario(tmp_path, received=received)
    day = RECEIVED - timedelta(days=age)
    from tests.scenario import Auth

    sc.auths = [Auth(valid_from=date(2025, 1, 1), valid_to=date(2026, 12, 31))]
    return sc.file(s_claim("X", "S0353", day)).run()["X"]


def test_day_365_accepted_366_rejected(tmp_path):
    assert run(tmp_path, 365).accepted
    late = run(tmp_path, 366)
    assert rules_of(late) == {"SC012"} and "366 days later" in late.rejections[0].message


def test_default_receipt_date_is_gs04_not_the_clock(tmp_path):
    # The generator writes GS04 = 2026-11-02; with no --received that date is used.
    assert run(tmp_path, 365, received=None).accepted
    assert not run(tmp_path, 366, received=None).accepted
