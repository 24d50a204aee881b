"""SC009: the ordering provider is the authorization's and in network."""

from tests.scenario import OTHER_NPI, OUT_NPI, Auth, Scenario, rules_of, s_claim


def test_matching_in_network_ordering_provider(tmp_path):
    assert Scenario(tmp_path).file(s_claim("OK")).run()["OK"].accepted


def test_837p_2420e_other_than_order_rejects(tmp_path):
    v = Scenario(tmp_path).file(s_claim("X", line_kw={"ordering_npi": OTHER_NPI})).run()["X"]
    assert rules_of(v) == {"SC009"}
    f = v.rejections[0]
    assert OTHER_NPI in f.message and f.loop == "2420E" and f.category == "A8"


def test_out_of_network_ordering_provider_rejects(tmp_path):
    sc = Scenario(tmp_path, auths=[Auth(ordering_npi=OUT_NPI)])
    v = sc.file(s_claim("X", line_kw={"ordering_npi": OUT_NPI})).run()["X"]
    assert rules_of(v) == {"SC009"} and "out of network" in v.rejections[0].message


def test_provider_missing_from_feed_is_not_shown_in_network(tmp_path):
    sc = Scenario(tmp_path)
    sc.providers = [p for p in sc.providers if p[1] != "ORDERING DOC"]
    v = sc.file(s_claim("X")).run()["X"]
    assert "not in the provider feed" in v.rejections[0].message


def test_837i_attending_or_referring_may_be_the_orderer(tmp_path):
    v = Scenario(tmp_path).file(
        s_claim("ATT", form="837I"),
        s_claim(
            "REF",
            "S0354",
            form="837I",
            member="MBR0002",
            order="O2",
            attending_npi=OTHER_NPI,
            referring_npi=None,
        ),
    )
    v.auths.append(Auth(order_id="O2", member_id="MBR0002", ordering_npi=OTHER_NPI))
    out = v.run()
    assert out["ATT"].accepted and out["REF"].accepted


def test_837i_neither_attending_nor_referring_rejects(tmp_path):
    v = Scenario(tmp_path).file(s_claim("X", form="837I", attending_npi=OTHER_NPI)).run()["X"]
    assert rules_of(v) == {"SC009"}
