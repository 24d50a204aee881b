"""SC007: S0354 at most the authorized months (units per order id)."""

from datetime import date

from tests.scenario import Auth, Scenario, days, rules_of, s_claim

YEAR_LONG = {"valid_to": date(2027, 12, 31)}
LATE = date(2027, 3, 1)  # received after a year of monthly services (SC017)


def monthly(n, start=0):
    return [s_claim(f"M{i:02d}", "S0354", days(start + 30 * i)) for i in range(n)]


def test_bcbsma_default_11_months(tmp_path):
    v = Scenario(tmp_path, auths=[Auth(**YEAR_LONG)], received=LATE).file(*monthly(12)).run()
    assert all(v[f"M{i:02d}"].accepted for i in range(11))
    assert rules_of(v["M11"]) == {"SC007"}
    assert "limit is 11" in v["M11"].rejections[0].message


def test_authorization_months_govern(tmp_path):
    sc = Scenario(tmp_path, auths=[Auth(s0354_max_months="3")])
    v = sc.file(*monthly(4)).run()
    assert [v[f"M{i:02d}"].accepted for i in range(4)] == [True, True, True, False]


def test_bcbsma_cap_is_never_raised_by_the_feed(tmp_path):
    sc = Scenario(tmp_path, auths=[Auth(s0354_max_months="14", **YEAR_LONG)], received=LATE)
    v = sc.file(*monthly(12)).run()
    assert not v["M11"].accepted


def test_carelon_five_as_issued(tmp_path):
    sc = Scenario(tmp_path, policy="carelon-ma")
    sc.providers = [(n, nm, net, "NY") for n, nm, net, _ in sc.providers]
    v = sc.file(
        *[
            s_claim(c.claim_id, "S0354", c.lines[0].service_date, billing_state="NY")
            for c in monthly(6)
        ]
    ).run()
    assert [v[f"M{i:02d}"].accepted for i in range(6)] == [True] * 5 + [False]


def test_carelon_indefinite_regimen_six(tmp_path):
    sc = Scenario(tmp_path, policy="carelon-ma", auths=[Auth(s0354_max_months="6")])
    v = sc.file(
        *[
            s_claim(c.claim_id, "S0354", c.lines[0].service_date, billing_state="NY")
            for c in monthly(7)
        ]
    ).run()
    assert [v[f"M{i:02d}"].accepted for i in range(7)] == [True] * 6 + [False]


def test_mop_without_months_warns_and_does_not_reject(tmp_path):
    sc = Scenario(tmp_path, policy="mop", auths=[Auth(**YEAR_LONG)], received=LATE)
    v = sc.file(*monthly(13)).run()
    assert all(x.accepted for x in v.values())
    assert any(f.rule == "SC007" and not f.rejects for f in v["M00"].findings)


def test_months_count_per_authorization(tmp_path):
    sc = Scenario(
        tmp_path, auths=[Auth(s0354_max_months="1"), Auth(order_id="ORD2", s0354_max_months="1")]
    )
    v = sc.file(s_claim("A", "S0354", days(0)), s_claim("B", "S0354", days(30), order="ORD2")).run()
    assert v["A"].accepted and v["B"].accepted


def carelon(tmp_path, n, **auth):
    sc = Scenario(tmp_path, policy="carelon-ma", auths=[Auth(**auth)])
    sc.providers = [(npi, nm, net, "NY") for npi, nm, net, _ in sc.providers]
    v = sc.file(
        *[
            s_claim(c.claim_id, "S0354", c.lines[0].service_date, billing_state="NY")
            for c in monthly(n)
        ]
    ).run()
    return [v[f"M{i:02d}"].accepted for i in range(n)], v


def test_carelon_indefinite_regimen_is_limited_to_six_months(tmp_path):
    accepted, v = carelon(tmp_path, 7, regimen="indefinite")
    assert accepted == [True] * 6 + [False]
    assert "limit is 6 (indefinite regimen)" in v["M06"].rejections[0].message


def test_carelon_indefinite_regimen_caps_a_longer_order(tmp_path):
    accepted, _ = carelon(tmp_path, 8, regimen="indefinite", s0354_max_months="8")
    assert accepted == [True] * 6 + [False] * 2


def test_carelon_fixed_regimen_gets_the_orders_months(tmp_path):
    accepted, _ = carelon(tmp_path, 9, regimen="fixed", s0354_max_months="8")
    assert accepted == [True] * 8 + [False]


def test_carelon_fixed_regimen_without_months_gets_five(tmp_path):
    accepted, _ = carelon(tmp_path, 6, regimen="fixed")
    assert accepted == [True] * 5 + [False]


def test_regimen_is_ignored_where_the_profile_sets_no_indefinite_limit(tmp_path):
    sc = Scenario(tmp_path, auths=[Auth(s0354_max_months="3", regimen="indefinite")])
    v = sc.file(*monthly(4)).run()
    assert [v[f"M{i:02d}"].accepted for i in range(4)] == [True, True, True, False]


def test_a_bad_regimen_is_a_feed_error(tmp_path):
    import pytest

    from edi837.errors import FeedError

    sc = Scenario(tmp_path, auths=[Auth(regimen="forever")])
    with pytest.raises(FeedError, match="regimen 'forever'"):
        sc.run_context()
