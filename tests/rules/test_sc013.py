"""SC013: service date not before the codes' effective date 2012-04-01."""

from datetime import date

from tests.scenario import Auth, Scenario, rules_of, s_claim


def test_effective_date_boundary(tmp_path):
    sc = Scenario(
        tmp_path,
        received=date(2012, 5, 1),
        auths=[
            Auth(valid_from=date(2012, 1, 1), valid_to=date(2012, 12, 31)),
            Auth(
                order_id="O2",
                member_id="MBR0002",
                valid_from=date(2012, 1, 1),
                valid_to=date(2012, 12, 31),
            ),
        ],
    )
    v = sc.file(
        s_claim("EARLY", "S0353", date(2012, 3, 31)),
        s_claim("ONDAY", "S0353", date(2012, 4, 1), member="MBR0002", order="O2"),
    ).run()
    assert rules_of(v["EARLY"]) == {"SC013"}
    assert v["ONDAY"].accepted
