"""A CLM01 reused by another claim is judged like any other claim (patient control
numbers are often account numbers); only the very same claim screened again is not
counted against itself."""

import pytest

from edi837.synth.writer import render_837
from edi837.x12.tokenizer import read_segments
from tests.scenario import Scenario, days, rules_of, s_claim


@pytest.mark.slow
def test_same_clm01_different_claims_in_one_batch(tmp_path):
    sc = Scenario(tmp_path)
    sc.file(s_claim("ACCT1", "S0353", days(0)))
    sc.file(s_claim("ACCT1", "S0354", days(10)))
    screening_files = sc.paths()
    from edi837.screening import Screening

    verdicts = list(Screening(screening_files, sc.run_context()).verdicts())
    assert [v.accepted for v in verdicts] == [True, False]
    assert {f.rule for f in verdicts[1].rejections} == {"SC005"}


def test_the_same_interchange_twice_in_one_file(tmp_path):
    one = render_837([s_claim("X001", "S0353", days(0))], isa_control=1)
    two = render_837([s_claim("X001", "S0353", days(0))], isa_control=2)
    path = tmp_path / "twice.837"
    path.write_text(one + two)
    sc = Scenario(tmp_path)
    from edi837.screening import Screening

    verdicts = list(Screening([path], sc.run_context()).verdicts())
    assert len(verdicts) == 2
    assert verdicts[0].accepted and not verdicts[1].accepted
    # The second interchange resends the very claim: a duplicate (54), named as such.
    assert rules_of(verdicts[1]) == {"SC016"}
    assert verdicts[1].rejections[0].status_code == "54"
    assert "claim X001" in verdicts[1].rejections[0].message
    assert "ISA13 000000001" in verdicts[1].rejections[0].message
    assert sum(1 for s in read_segments(path) if s.id == "CLM") == 2
