"""SC001: S-codes on a separate claim (bcbsma), not required under mop."""

from decimal import Decimal

import pytest

from edi837.synth.spec import LineSpec
from tests.scenario import DAY0, Scenario, rules_of, s_claim, s_line


def mixed(claim_id="MIX", form="837P"):
    return s_claim(
        claim_id,
        form=form,
        lines=[
            s_line("S0354", DAY0),
            LineSpec(procedure="96413", service_date=DAY0, charge=Decimal("450.00")),
        ],
    )


@pytest.mark.slow
@pytest.mark.parametrize("form", ["837P", "837I"])
def test_bcbsma_rejects_s_code_with_other_services(tmp_path, form):
    v = Scenario(tmp_path).file(mixed(form=form)).run()["MIX"]
    assert not v.accepted
    assert rules_of(v) == {"SC001"}
    f = v.rejections[0]
    assert f.line == 2 and "96413" in f.message and f.status_code == "732"
    assert "bcbsma-s-code-reimbursement.txt" in f.citation


def test_mop_accepts_s_code_billed_with_other_services(tmp_path):
    v = Scenario(tmp_path, policy="mop").file(mixed()).run()["MIX"]
    assert v.accepted, v.findings


def test_stand_alone_s_code_claim_is_accepted(tmp_path):
    assert Scenario(tmp_path).file(s_claim("ALONE")).run()["ALONE"].accepted


def test_claim_without_s_codes_is_outside_the_screen(tmp_path):
    ordinary = s_claim(
        "ORD", lines=[LineSpec(procedure="99214", service_date=DAY0, charge=Decimal("120.00"))]
    )
    v = Scenario(tmp_path).file(ordinary).run()["ORD"]
    assert v.accepted and not v.findings and not v.reimbursement
