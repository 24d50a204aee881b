"""SC003: the same S-code service is billed on an 837P or an 837I, not both."""

from tests.scenario import Scenario, days, rules_of, s_claim


def test_same_service_on_both_forms_rejects_the_second(tmp_path):
    v = Scenario(tmp_path).file(
        s_claim("PRO", "S0354", days(0)), s_claim("INST", "S0354", days(0), form="837I")
    ).run()
    assert v["PRO"].accepted
    assert "SC003" in rules_of(v["INST"])
    assert "PRO" in v["INST"].rejections[0].message


def test_cross_form_across_files_order_independent(tmp_path):
    # The 837I file comes first; the verdict is the same as long as the original order
    # (by service date then input order) decides, here the 837P claim is earlier in input.
    sc = Scenario(tmp_path)
    sc.file(s_claim("INST", "S0354", days(0), form="837I"))
    sc.file(s_claim("PRO", "S0354", days(0)))
    v = sc.run()
    assert v["INST"].accepted
    assert "SC003" in rules_of(v["PRO"])


def test_different_dates_on_different_forms_are_fine(tmp_path):
    v = Scenario(tmp_path).file(
        s_claim("PRO", "S0354", days(0)), s_claim("INST", "S0354", days(30), form="837I")
    ).run()
    assert v["PRO"].accepted and v["INST"].accepted
