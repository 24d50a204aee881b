"""SC002: an 837I S-code line carries revenue code 0960; 0980 has its own message."""

import pytest

from tests.scenario import Scenario, rules_of, s_claim


def ub(claim_id, revenue):
    return s_claim(claim_id, form="837I", line_kw={"revenue_code": revenue})


def test_0960_accepted(tmp_path):
    assert Scenario(tmp_path).file(ub("OK", "0960")).run()["OK"].accepted


def test_0980_retired_message(tmp_path):
    v = Scenario(tmp_path).file(ub("OLD", "0980")).run()["OLD"]
    assert rules_of(v) == {"SC002"}
    f = v.rejections[0]
    assert "retired" in f.message and "0980" in f.message and "December 2021" in f.message
    assert f.value == "0980" and "0960" in f.fix and f.status_code == "455"


@pytest.mark.parametrize("revenue", ["0510", "0300", "0961"])
def test_other_revenue_codes_rejected(tmp_path, revenue):
    v = Scenario(tmp_path).file(ub("BAD", revenue)).run()["BAD"]
    assert rules_of(v) == {"SC002"}
    assert "expected 0960" in v.rejections[0].message


def test_837p_has_no_revenue_code_requirement(tmp_path):
    assert Scenario(tmp_path).file(s_claim("PRO")).run()["PRO"].accepted
