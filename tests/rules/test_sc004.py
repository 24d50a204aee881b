"""SC004: S0353 once per patient, at onset."""

from edi837.synth.spec import PersonSpec
from tests.scenario import Scenario, days, rules_of, s_claim


def test_second_s0353_rejected_whatever_the_date(tmp_path):
    v = (
        Scenario(tmp_path)
        .file(s_claim("FIRST", "S0353", days(0)), s_claim("AGAIN", "S0353", days(120)))
        .run()
    )
    assert v["FIRST"].accepted
    assert rules_of(v["AGAIN"]) == {"SC004"}
    assert "already accepted" in v["AGAIN"].rejections[0].message


def test_s0353_after_established_s0354_is_not_onset(tmp_path):
    v = (
        Scenario(tmp_path)
        .file(s_claim("EST", "S0354", days(0)), s_claim("LATE", "S0353", days(40)))
        .run()
    )
    assert v["EST"].accepted
    assert rules_of(v["LATE"]) == {"SC004"}


def test_dependants_of_one_subscriber_are_different_patients(tmp_path):
    kid1 = PersonSpec("DOE", "AMY", days(-4000), "F")
    kid2 = PersonSpec("DOE", "BEN", days(-5000), "M")
    v = (
        Scenario(tmp_path)
        .file(
            s_claim("K1", "S0353", days(0), patient=kid1),
            s_claim("K2", "S0353", days(1), patient=kid2),
        )
        .run()
    )
    assert v["K1"].accepted and v["K2"].accepted
