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
