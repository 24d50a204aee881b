"""A hand-written 837P in another sender's style: CRLF, pay-to address, a dependant,
2310B/2310C providers, COB loops (2320/2330 with their own NM1*IL and NM1*PR), NTE, and
line adjudication (2430). The loops that are not ours must not leak into the claim."""

from pathlib import Path

import pytest

from edi837 import read_claims
from edi837.npi import make_npi
from edi837.x12.pyx12_adapter import pyx12_claims, pyx12_validate

FILE = Path(__file__).parent / "data" / "cob_837p.837"


@pytest.mark.slow
def test_pyx12_accepts_it_and_reads_the_same_claim():
    ok, errors = pyx12_validate(FILE)
    assert ok, errors
    assert pyx12_claims(FILE) == [("NW-88001", [("S0353", "20260915")])]


def test_claim_fields_come_from_the_right_loops():
    (claim,) = list(read_claims(FILE))
    assert claim.CLM01 == "NW-88001" and claim.frequency == "1"
    assert claim.member_id == "XQZ123456789"  # 2010BA, not the 2330A NM1*IL
    assert claim.payer_id == "PAYER0001"  # 2010BB, not the 2330B NM1*PR
    assert claim.patient is not None and claim.patient.first == "DORIAN"
    assert claim.filing_indicator == "BL"  # the 2000B SBR09, not the 2320 SBR
    assert claim.billing.npi == make_npi("177700001") and claim.billing.state == "MA"
    assert claim.rendering is not None and claim.rendering.npi == make_npi("177700002")
    assert claim.REF_G1 == "AIM7766554" and claim.REF_D9 == "CH20261101A"
    (line,) = claim.lines
    assert line.ordering is not None and line.ordering.npi == make_npi("177700003")
    assert line.REF_6R == "NW88001-1" and str(line.service_date) == "2026-09-15"
    assert not claim.problems
