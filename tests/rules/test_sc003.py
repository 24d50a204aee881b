"""SC003: the same S-code service is billed on an 837P or an 837I, not both."""

from tests.scenario import Scenario, days, rules_of, s_claim


def test_same_service_on_both_forms_rejects_the_second(tmp_path):
    # At equal dates the claim id orders the judging: P1 before U2.
    v = (
        Scenario(tmp_path)
        .file(s_claim("U2", "S0354", days(0), form="837I"), s_claim("P1", "S0354", days(0)))
        .run()
    )
    assert v["P1"].accepted
    assert "SC003" in rules_of(v["U2"])
    assert "P1" in v["U2"].rejections[0].message and "837P" in v["U2"].rejections[0].message


def test_cross_form_across_files_order_independent(tmp_path):
    # Same date: the tie is broken by claim id, not by which file came first.
    for order in (0, 1):
        sc = Scenario(tmp_path)
        claims = [s_claim("INST", "S0354", days(0), form="837I"), s_claim("PRO", "S0354", days(0))]
        sc.file(claims[order])
        sc.file(claims[1 - order])
        v = sc.run()
        assert v["INST"].accepted
        assert "SC003" in rules_of(v["PRO"])


def test_different_dates_on_different_forms_are_fine(tmp_path):
    v = (
        Scenario(tmp_path)
        .file(s_claim("PRO", "S0354", days(0)), s_claim("INST", "S0354", days(30), form="837I"))
        .run()
    )
    assert v["PRO"].accepted and v["INST"].accepted
