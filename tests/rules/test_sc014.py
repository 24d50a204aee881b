"""SC014: voids free the frequency window; replacements replace; order at equal dates."""

from tests.scenario import Scenario, days, rules_of, s_claim


def test_void_frees_the_30_day_window(tmp_path):
    v = Scenario(tmp_path).file(
        s_claim("A", "S0354", days(0)),
        s_claim("A", "S0354", days(0), frequency="8", ref_f8="A"),
    )
    # claim ids must be unique per scenario map; give the void its own CLM01 and REF*F8.
    v.files[0][1].claim_id = "AVOID"
    v.file(s_claim("B", "S0354", days(10)))
    out = v.run()
    assert out["A"].accepted and out["AVOID"].accepted
    assert out["B"].accepted, out["B"].findings


def test_void_is_not_screened_by_claim_rules(tmp_path):
    # A void carrying a retired revenue code still withdraws: it bills nothing.
    out = (
        Scenario(tmp_path)
        .file(
            s_claim("A", "S0354", days(0), form="837I"),
            s_claim(
                "V",
                "S0354",
                days(0),
                form="837I",
                frequency="8",
                ref_f8="A",
                line_kw={"revenue_code": "0980"},
            ),
        )
        .run()
    )
    assert out["V"].accepted and not rules_of(out["V"])


def test_replacement_replaces_the_original(tmp_path):
    out = (
        Scenario(tmp_path)
        .file(
            s_claim("A", "S0354", days(0)),
            s_claim("R", "S0354", days(5), frequency="7", ref_f8="A"),
            s_claim("B", "S0354", days(34)),
        )
        .run()
    )
    assert out["A"].accepted and out["R"].accepted
    # B is 34 days after A but 29 after the replacement: the replacement counts.
    assert rules_of(out["B"]) == {"SC006"}


def test_rejected_replacement_leaves_the_original(tmp_path):
    out = (
        Scenario(tmp_path)
        .file(
            s_claim("A", "S0354", days(0)),
            s_claim("R", "S0354", days(0), frequency="7", ref_f8="A", order="NOPE"),
            s_claim("B", "S0354", days(20)),
        )
        .run()
    )
    assert not out["R"].accepted
    assert rules_of(out["B"]) == {"SC006"}  # A still stands


def test_void_of_unknown_original_warns(tmp_path):
    out = Scenario(tmp_path).file(s_claim("V", frequency="8", ref_f8="GHOST")).run()["V"]
    assert out.accepted
    assert any(f.rule == "SC014" and "GHOST" in f.message for f in out.findings)


def test_original_judged_before_void_at_equal_dates(tmp_path):
    sc = Scenario(tmp_path)
    sc.file(s_claim("V", "S0354", days(0), frequency="8", ref_f8="A"))  # void first in input
    sc.file(s_claim("A", "S0354", days(0)))
    out = sc.run()
    assert any(f.rule == "SC014" and "no longer" in f.message for f in out["V"].findings)


def test_rejected_void_withdraws_nothing(tmp_path):
    from edi837.store.base import MemoryHistory

    store = MemoryHistory()
    Scenario(tmp_path / "a").file(s_claim("ORIG", "S0353", days(0))).run(history=store)
    # The void names an unknown order: it is rejected, so ORIG stands.
    bad_void = s_claim(
        "VOID1", "S0353", days(0), frequency="8", ref_f8="ORIG", billing_npi="1234567890"
    )  # fails the NPI check digit (STR002)
    out = Scenario(tmp_path / "b").file(bad_void).run(history=store)
    assert not out["VOID1"].accepted
    again = Scenario(tmp_path / "c").file(s_claim("NEW", "S0353", days(60))).run(history=store)
    assert rules_of(again["NEW"]) == {"SC004"}


def test_void_of_an_earlier_claim_makes_room_for_its_resubmission_on_the_same_day(tmp_path):
    from edi837.store.base import MemoryHistory

    store = MemoryHistory()
    Scenario(tmp_path / "a").file(s_claim("ORIG", "S0353", days(0))).run(history=store)
    out = (
        Scenario(tmp_path / "b")
        .file(
            s_claim("NEW", "S0353", days(0)),
            s_claim("VOID1", "S0353", days(0), frequency="8", ref_f8="ORIG"),
        )
        .run(history=store)
    )
    assert out["VOID1"].accepted and out["NEW"].accepted, out["NEW"].findings
