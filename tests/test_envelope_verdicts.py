"""A claim in a transaction set rejected for its envelope never counts as billed."""

from edi837.synth.writer import render_837
from tests.scenario import Scenario, days, s_claim


def test_claims_in_a_bad_transaction_set_do_not_enter_the_timeline(tmp_path):
    sc = Scenario(tmp_path)
    bad = render_837([s_claim("BAD", "S0353", days(0))]).replace("SE*", "SE*9", 1)
    (tmp_path / "a-bad.837").write_text(bad)
    sc.file(s_claim("GOOD", "S0353", days(40)))
    good_path = sc.paths()[0]
    from edi837.screening import Screening

    screening = Screening([tmp_path / "a-bad.837", good_path], sc.run_context())
    verdicts = {v.claim.CLM01: v for v in screening.verdicts()}
    assert not verdicts["BAD"].accepted
    assert {f.rule for f in verdicts["BAD"].rejections} == {"ENV001"}
    # BAD's S0353 was never accepted, so GOOD's S0353 is the patient's first.
    assert verdicts["GOOD"].accepted, verdicts["GOOD"].findings


def test_segments_after_the_iea_reject_only_what_they_hold(tmp_path):
    # After a complete interchange: a stray segment rejects nothing (the file is in
    # error, and the interchange's claims stand, as pyx12 answers them); a group whose
    # ISA was lost is read, and its claims are answered rejected (ENV001), not lost.
    from edi837.screening import Screening

    sc = Scenario(tmp_path)
    whole = render_837([s_claim("FIRST", "S0353", days(0))])
    orphan = render_837([s_claim("ORPHAN", "S0354", days(40))])
    orphan = orphan[orphan.index("GS*") : orphan.index("IEA*")]
    path = tmp_path / "two.837"
    path.write_text(whole + "STC*A1:20*20260302~" + orphan)
    with Screening([path], sc.run_context()) as screening:
        [file] = screening.prepare()
        verdicts = {v.claim.CLM01: v for v in screening.verdicts()}
    assert file.readable and file.claims == 2
    assert verdicts["FIRST"].accepted, verdicts["FIRST"].findings
    assert {f.rule for f in verdicts["ORPHAN"].rejections} == {"ENV001"}
    assert [e.split(": ", 1)[1] for e in file.errors] == [
        "segment STC outside a transaction set",
        "GS outside an interchange",
        "ST outside a functional group (GS missing or GE early)",
        "GE without a matching GS",
    ]
