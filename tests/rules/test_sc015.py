"""SC015: the claim form is one the profile allows."""

from tests.scenario import Scenario, rules_of, s_claim


def test_profile_restricting_forms(tmp_path):
    from edi837.policy import policy_text

    text = policy_text("bcbsma")[0].replace('value = ["837P", "837I"]', 'value = ["837P"]', 1)
    path = tmp_path / "pro-only.toml"
    path.write_text(text)
    v = (
        Scenario(tmp_path, policy=str(path))
        .file(s_claim("P"), s_claim("I", form="837I", member="MBR0002"))
        .run()
    )
    assert v["P"].accepted
    assert "SC015" in rules_of(v["I"])


def test_shipped_profiles_allow_both_forms(tmp_path):
    v = Scenario(tmp_path).file(s_claim("I", form="837I")).run()
    assert v["I"].accepted
