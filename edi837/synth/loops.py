"""The segments of each 837 loop, as plain strings.

This is where the 5010 TR3s' layout lives (005010X222A1 for the 837P, 005010X223A2 for
the 837I); :mod:`edi837.synth.writer` decides *when* a loop starts (HL numbering, ST/SE,
GS/GE) and calls these to spell it. Segments are built with f-strings and joined by the
caller: a 1 GB benchmark file is a few million of them, so no per-segment objects.

Elements past the last non-empty one are never written (X12 forbids trailing element
separators), which is why the empty positions are spelled out by hand below.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from edi837.synth.names import invent_person, provider_name
from edi837.synth.spec import S_CODES, ClaimSpec, LineSpec, PersonSpec
from edi837.x12.separators import Separators

MAX_LINES = {"837P": 50, "837I": 999}
"""Loop 2400 repeat limits per the TR3s."""

FACILITY_DEFAULT = {"837P": "11", "837I": "13"}
"""CLM05-1: place of service 11 (office) / facility type 13 (hospital outpatient)."""

TAXONOMY_DEFAULT = {"837P": "207RX0202X", "837I": "282N00000X"}
"""PRV03 for the billing provider: medical oncology / general acute care hospital."""


@lru_cache(maxsize=4096)
def d8(value: date) -> str:
    """CCYYMMDD; cached, since a batch repeats a few hundred dates millions of times."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


@lru_cache(maxsize=4096)
def amount(value: Decimal) -> str:
    """An X12 R (decimal) value: no exponent, no trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def subscriber_of(claim: ClaimSpec) -> PersonSpec:
    """The 2010BA person: the claim's own, or one invented from its member id."""
    if claim.subscriber is not None:
        return claim.subscriber
    return invent_person(claim.member_id, member_id=claim.member_id)


class LoopRenderer:
    """Spells 837 loops with one interchange's separators."""

    def __init__(self, separators: Separators) -> None:
        self.e = separators.element
        self.c = separators.component

    # -- header ----------------------------------------------------------------------

    def header(self, bht03: str, when: str, hhmm: str, sender: str, receiver: str) -> list[str]:
        """BHT, 1000A submitter (NM1*41, PER) and 1000B receiver (NM1*40)."""
        e = self.e
        return [
            f"BHT{e}0019{e}00{e}{bht03}{e}{when}{e}{hhmm}{e}CH",
            f"NM1{e}41{e}2{e}SYNTHETIC CLAIMS SUBMITTER{e}{e}{e}{e}{e}46{e}{sender}",
            f"PER{e}IC{e}EDI DESK{e}TE{e}6175550100",
            f"NM1{e}40{e}2{e}SYNTHETIC RECEIVER{e}{e}{e}{e}{e}46{e}{receiver}",
        ]

    # -- hierarchy -------------------------------------------------------------------

    def billing_provider(self, claim: ClaimSpec, hl: int, out: list[str]) -> None:
        """2000A HL*..**20*1, PRV*BI, and 2010AA NM1*85 (XX), N3, N4, REF*EI."""
        e = self.e
        taxonomy = claim.billing_taxonomy or TAXONOMY_DEFAULT[claim.form]
        out += (
            f"HL{e}{hl}{e}{e}20{e}1",
            f"PRV{e}BI{e}PXC{e}{taxonomy}",
            f"NM1{e}85{e}2{e}{claim.billing_name}{e}{e}{e}{e}{e}XX{e}{claim.billing_npi}",
            f"N3{e}{claim.billing_street}",
            f"N4{e}{claim.billing_city}{e}{claim.billing_state}{e}{claim.billing_zip}",
            f"REF{e}EI{e}{claim.billing_tax_id}",
        )

    def subscriber(
        self, claim: ClaimSpec, person: PersonSpec, hl: int, parent: int, out: list[str]
    ) -> None:
        """2000B HL*..*22, SBR, 2010BA NM1*IL (MI) N3 N4 DMG, 2010BB NM1*PR (PI).

        SBR02 is 18 (self) only when the subscriber is the patient; a dependant's claims
        sit in a 2000C under this HL, so HL04 says whether children follow.
        """
        e = self.e
        dependant = claim.patient is not None
        sbr02 = "" if dependant else "18"
        out += (
            f"HL{e}{hl}{e}{parent}{e}22{e}{'1' if dependant else '0'}",
            f"SBR{e}P{e}{sbr02}{e}{e}{e}{e}{e}{e}{e}{claim.filing_indicator}",
            f"NM1{e}IL{e}1{e}{person.last}{e}{person.first}{e}{e}{e}{e}MI{e}{claim.member_id}",
        )
        self._address_dmg(person, out)
        out.append(f"NM1{e}PR{e}2{e}{claim.payer_name}{e}{e}{e}{e}{e}PI{e}{claim.payer_id}")

    def patient(self, claim: ClaimSpec, hl: int, parent: int, out: list[str]) -> None:
        """2000C HL*..*23*0, PAT, 2010CA NM1*QC (no id in 5010), N3, N4, DMG."""
        e = self.e
        person = claim.patient
        assert person is not None
        out += (
            f"HL{e}{hl}{e}{parent}{e}23{e}0",
            f"PAT{e}{claim.patient_relationship}",
            f"NM1{e}QC{e}1{e}{person.last}{e}{person.first}",
        )
        self._address_dmg(person, out)

    def _address_dmg(self, person: PersonSpec, out: list[str]) -> None:
        e = self.e
        out += (
            f"N3{e}{person.street}",
            f"N4{e}{person.city}{e}{person.state}{e}{person.postal_code}",
            f"DMG{e}D8{e}{d8(person.birth_date)}{e}{person.gender}",
        )

    # -- claims ----------------------------------------------------------------------

    def _person_nm1(self, entity: str, npi: str) -> str:
        e = self.e
        last, first = provider_name(npi)
        return f"NM1{e}{entity}{e}1{e}{last}{e}{first}{e}{e}{e}{e}XX{e}{npi}"

    def _refs_2300(self, claim: ClaimSpec, out: list[str]) -> None:
        e = self.e
        # TR3 order in both guides: REF*G1 (prior authorization) before REF*F8.
        if claim.ref_g1:
            out.append(f"REF{e}G1{e}{claim.ref_g1}")
        if claim.ref_f8:
            out.append(f"REF{e}F8{e}{claim.ref_f8}")
        out.append(f"HI{e}ABK{self.c}{claim.diagnosis}")

    def _procedure(self, line: LineSpec) -> str:
        c = self.c
        text = f"HC{c}{line.procedure}"
        if line.modifiers:
            text += c + c.join(line.modifiers)
        return text

    def _dtp_472(self, start: date, end: date | None) -> str:
        e = self.e
        if end is None:
            return f"DTP{e}472{e}D8{e}{d8(start)}"
        return f"DTP{e}472{e}RD8{e}{d8(start)}-{d8(end)}"

    def claim_837p(self, claim: ClaimSpec, out: list[str]) -> None:
        """2300 CLM (CLM05 facility:B:frequency), REF, HI; 2310A/B; 2400 lines; 2420E."""
        e, c = self.e, self.c
        facility = claim.facility_code or FACILITY_DEFAULT["837P"]
        out.append(
            f"CLM{e}{claim.claim_id}{e}{amount(claim.total_charge)}{e}{e}{e}"
            f"{facility}{c}B{c}{claim.frequency}{e}Y{e}A{e}Y{e}Y"
        )
        self._refs_2300(claim, out)
        if claim.referring_npi:
            out.append(self._person_nm1("DN", claim.referring_npi))  # 2310A
        if claim.rendering_npi:
            out.append(self._person_nm1("82", claim.rendering_npi))  # 2310B
        fallback = next((ln.service_date for ln in claim.lines if ln.service_date), None)
        for lx, line in enumerate(claim.lines, 1):
            start = line.service_date or fallback
            if start is None:
                raise ValueError(f"claim {claim.claim_id}: an 837P line needs a DTP*472 date")
            out += (
                f"LX{e}{lx}",
                f"SV1{e}{self._procedure(line)}{e}{amount(line.charge)}{e}UN{e}"
                f"{amount(line.units)}{e}{e}{e}1",
                self._dtp_472(start, line.service_date_end),
            )
            if line.ref_g1:
                out.append(f"REF{e}G1{e}{line.ref_g1}")
            out.append(f"REF{e}6R{e}{line.line_control or f'{claim.claim_id}-{lx}'}")
            if line.ordering_npi:
                out.append(self._person_nm1("DK", line.ordering_npi))  # 2420E

    def claim_837i(self, claim: ClaimSpec, out: list[str]) -> None:
        """2300 CLM (CLM05 facility:A:frequency), DTP*434, CL1, REF, HI; 2310A/D/F; 2400."""
        e, c = self.e, self.c
        facility = claim.facility_code or FACILITY_DEFAULT["837I"]
        start, end = statement_dates(claim)
        out += (
            f"CLM{e}{claim.claim_id}{e}{amount(claim.total_charge)}{e}{e}{e}"
            f"{facility}{c}A{c}{claim.frequency}{e}{e}A{e}Y{e}Y",
            f"DTP{e}434{e}RD8{e}{d8(start)}-{d8(end)}",
            f"CL1{e}{e}{e}{claim.patient_status}",
        )
        self._refs_2300(claim, out)
        out.append(self._person_nm1("71", claim.attending_npi or claim.billing_npi))  # 2310A
        if claim.rendering_npi:
            out.append(self._person_nm1("82", claim.rendering_npi))  # 2310D
        if claim.referring_npi:
            out.append(self._person_nm1("DN", claim.referring_npi))  # 2310F
        for lx, line in enumerate(claim.lines, 1):
            revenue = line.revenue_code or ("0960" if line.procedure in S_CODES else "0300")
            out += (
                f"LX{e}{lx}",
                f"SV2{e}{revenue}{e}{self._procedure(line)}{e}{amount(line.charge)}{e}UN{e}"
                f"{amount(line.units)}",
            )
            if line.service_date:
                out.append(self._dtp_472(line.service_date, line.service_date_end))
            out.append(f"REF{e}6R{e}{line.line_control or f'{claim.claim_id}-{lx}'}")


def statement_dates(claim: ClaimSpec) -> tuple[date, date]:
    """837I DTP*434: the claim's own dates, else the span of its line dates."""
    starts = [ln.service_date for ln in claim.lines if ln.service_date]
    ends = [ln.service_date_end or ln.service_date for ln in claim.lines if ln.service_date]
    start = claim.statement_from or (min(starts) if starts else None)
    end = claim.statement_to or (max(ends) if ends else start)
    if start is None or end is None:
        raise ValueError(
            f"claim {claim.claim_id}: an 837I needs statement dates or at least one line date"
        )
    return start, end
