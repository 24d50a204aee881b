"""SC018: S-codes billed to traditional Medicare (SBR09 MA/MB) -- HCPCS coverage code I."""

import pytest

from tests.scenario import Scenario, rules_of, s_claim


def screen(tmp_path, indicator, policy="bcbsma"):
    sc = Scenario(tmp_path, policy=policy)
    if policy == "carelon-ma":
        sc.providers = [(n, nm, net, "NY") for n, nm, net, _ in sc.providers]
    claim = s_claim("A", "S0353", filing_indicator=indicator, billing_state="NY")
    return sc.file(claim).run()["A"]


@pytest.mark.parametrize("indicator", ["MA", "MB"])
def test_carelon_rejects_traditional_medicare(tmp_path, indicator):
    verdict = screen(tmp_path, indicator, "carelon-ma")
    assert rules_of(verdict) == {"SC018"}
    finding = verdict.rejections[0]
    assert (finding.category, finding.status_code) == ("A7", "116")
    assert f"SBR09 {indicator}" in finding.message
    assert "hcpcs-s0353.txt" in finding.citation and "Not payable by Medicare" in finding.citation


@pytest.mark.parametrize("policy", ["bcbsma", "mop"])
def test_elsewhere_it_is_a_warning(tmp_path, policy):
    verdict = screen(tmp_path, "MB", policy)
    assert "SC018" not in rules_of(verdict)
    assert any(f.rule == "SC018" and not f.rejects for f in verdict.findings)


@pytest.mark.parametrize("indicator", ["CI", "16", "MC"])
def test_other_filing_indicators_pass(tmp_path, indicator):
    verdict = screen(tmp_path, indicator, "carelon-ma")
    assert verdict.accepted
    assert not any(f.rule == "SC018" for f in verdict.findings)
