"""What a synthetic claim says, independent of how it is spelled on the wire.

Tests and benchmarks describe claims with these plain dataclasses and hand them to
:mod:`edi837.synth.writer`, which owns every X12 decision (loops, qualifiers, counts).
Keeping the two apart lets a rule test state "an S0354 line on an 837I with revenue code
0980" in one line, without knowing where SV201 sits. Field comments name the X12 element
each value lands in, as the 5010 TR3s (005010X222A1, 005010X223A2) spell it.

All defaults are invented: names, addresses, member ids and NPIs are synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi837.npi import make_npi

S_CODES = frozenset({"S0353", "S0354"})
"""The HCPCS care-planning codes the screening rules are about."""

FORMS = ("837P", "837I")

DEFAULT_BILLING_NPI = make_npi("100000001")
"""An invented, check-digit-valid NPI for claims that do not name their billing provider."""


@dataclass
class LineSpec:
    """One service line: loop 2400 (LX, SV1/SV2, DTP*472, REF)."""

    procedure: str = "S0354"  # SV101-2 / SV202-2 (qualifier HC)
    service_date: date | None = None  # DTP*472 D8; None: omitted on 837I, claim's date on 837P
    service_date_end: date | None = None  # when set, DTP*472 is RD8 from-to
    charge: Decimal = Decimal("300.00")  # SV102 / SV203
    units: Decimal = Decimal("1")  # SV104 (837P, UN) / SV205 (837I, UN)
    modifiers: tuple[str, ...] = ()  # SV101-3.. / SV202-3..
    revenue_code: str | None = None  # 837I SV201; None -> "0960" for S-codes, "0300" otherwise
    line_control: str | None = None  # REF*6R; None -> "<claim_id>-<LX>"
    ref_g1: str | None = None  # 837P 2400 REF*G1 prior authorization (no line REF*G1 on 837I)
    ordering_npi: str | None = None  # 837P 2420E NM1*DK; ignored on 837I


@dataclass
class PersonSpec:
    """A subscriber (2010BA) or a dependant patient (2010CA)."""

    last: str
    first: str
    birth_date: date  # DMG02
    gender: str = "F"  # DMG03
    member_id: str = ""  # informational; the subscriber's NM109 comes from ClaimSpec.member_id
    street: str = "1 SYNTHETIC WAY"  # N301
    city: str = "BOSTON"  # N401
    state: str = "MA"  # N402
    postal_code: str = "02110"  # N403


@dataclass
class ClaimSpec:
    """One claim: loop 2300 plus the hierarchy (2000A/B/C) it sits under."""

    claim_id: str  # CLM01
    member_id: str  # subscriber member id, 2010BA NM109 (qualifier MI)
    lines: list[LineSpec]
    form: str = "837P"  # "837P" | "837I"
    frequency: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    ref_f8: str | None = None  # 2300 REF*F8 payer claim control number of the original
    ref_g1: str | None = None  # 2300 REF*G1 prior authorization / order id
    billing_npi: str = DEFAULT_BILLING_NPI  # 2010AA NM109 (qualifier XX)
    billing_name: str = "SYNTHETIC ONCOLOGY ASSOCIATES"  # 2010AA NM103
    billing_state: str = "MA"  # 2010AA N402
    rendering_npi: str | None = None  # 837P 2310B / 837I 2310D NM1*82
    referring_npi: str | None = None  # 837P 2310A / 837I 2310F NM1*DN
    attending_npi: str | None = None  # 837I 2310A NM1*71; None -> billing_npi
    subscriber: PersonSpec | None = None  # None -> invented from member_id
    patient: PersonSpec | None = None  # None -> subscriber is the patient (SBR02=18)
    filing_indicator: str = "CI"  # SBR09
    facility_code: str | None = None  # CLM05-1; None -> "11" (837P POS) / "13" (837I TOB)
    statement_from: date | None = None  # 837I DTP*434 RD8; None -> earliest line date
    statement_to: date | None = None  # 837I DTP*434 RD8; None -> latest line date
    payer_id: str = "BCBSMA"  # 2010BB NM109 (qualifier PI)
    payer_name: str = "SYNTHETIC BLUE PLAN"  # 2010BB NM103
    diagnosis: str = "C50911"  # HI01-2 with HI01-1 ABK (ICD-10-CM principal)
    # Fields below are additions to the agreed API; all have defaults.
    patient_relationship: str = "19"  # PAT01 when patient is set (19 child, 01 spouse)
    billing_tax_id: str = "990000001"  # 2010AA REF*EI
    billing_street: str = "100 SYNTHETIC PLAZA"  # 2010AA N301
    billing_city: str = "BOSTON"  # 2010AA N401
    billing_zip: str = "021101234"  # 2010AA N403 (the TR3 wants ZIP+4 here)
    billing_taxonomy: str | None = None  # 2000A PRV*BI*PXC; None -> by form
    patient_status: str = "01"  # 837I CL103 (01 discharged to home)

    @property
    def total_charge(self) -> Decimal:
        """CLM02: the sum of the line charges, as the TR3 requires."""
        return sum((line.charge for line in self.lines), Decimal(0))
