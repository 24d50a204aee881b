"""The 837 claim model shared by 837P (005010X222A1) and 837I (005010X223A2).

Field names follow the implementation guides (``CLM01``, ``SV101_2``, ``REF_6R``) next
to a business alias where that helps readers. Every claim and line keeps the segment
ordinal and byte offset it came from, so a finding can always say *where*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi837.x12.position import FORM_837I, FORM_837P, Position
from edi837.x12.separators import Separators

S_CODES = frozenset({"S0353", "S0354"})

__all__ = ["FORM_837I", "FORM_837P", "Position", "S_CODES"]


@dataclass(slots=True, frozen=True)
class Envelope:
    """The interchange, functional group and transaction set a claim arrived in."""

    file: str
    ISA06: str  # interchange sender id
    ISA08: str  # interchange receiver id
    ISA13: str  # interchange control number
    GS02: str  # application sender code
    GS03: str  # application receiver code
    GS04: str  # group date CCYYMMDD: the receipt date when none is given
    GS06: str  # group control number
    GS08: str  # version / release / industry identifier, as sent
    ST02: str  # transaction set control number
    form: str  # 837P or 837I, derived from the version label
    version_note: str = ""  # e.g. "errata label 005010X222A2 read as 005010X222A1"
    BHT03: str = ""  # originator's batch reference
    BHT04: str = ""  # batch creation date CCYYMMDD
    interchange_index: int = 0  # 1-based ordinals of the ISA, GS and ST within the file
    group_index: int = 0
    transaction_index: int = 0
    GS05: str = ""  # group time HHMM[SS[dd]]: the time our answers carry
    submitter_name: str = ""  # 1000A NM103 (the 277CA's 2100B information receiver)
    submitter_id_qualifier: str = ""  # 1000A NM108 (46 = ETIN)
    submitter_id: str = ""  # 1000A NM109


@dataclass(slots=True)
class Person:
    """A subscriber (2010BA) or dependent patient (2010CA)."""

    last: str = ""
    first: str = ""
    member_id: str = ""
    birth_date: date | None = None
    gender: str = ""

    @property
    def name(self) -> str:
        return f"{self.last}, {self.first}".strip(", ")


@dataclass(slots=True)
class Provider:
    """A provider named in an NM1 loop (billing, attending, referring, ordering...)."""

    entity: str  # NM101 entity identifier code: 85, 71, DN, DK, 82...
    npi: str = ""
    name: str = ""
    state: str = ""
    position: Position | None = None
    tax_id: str = ""  # 2010AA REF*EI (billing provider only)


@dataclass(slots=True)
class ServiceLine:
    """Loop 2400: one service line."""

    LX01: int  # assigned line number
    procedure: str = ""  # SV101-2 / SV202-2
    procedure_qualifier: str = ""  # SV101-1 / SV202-1 (HC for HCPCS)
    modifiers: tuple[str, ...] = ()
    revenue_code: str = ""  # SV201 (837I only)
    charge: Decimal = Decimal(0)  # SV102 / SV203
    charge_readable: bool = True  # False: SV102 / SV203 not a number (``charge`` is 0)
    units: Decimal = Decimal(0)  # SV104 / SV205
    unit_basis: str = ""  # SV103 / SV204 (UN units, MJ minutes)
    service_date: date | None = None  # DTP*472 D8, or RD8 start
    service_date_end: date | None = None  # DTP*472 RD8 end
    REF_6R: str = ""  # line item control number, echoed in 277CA REF*FJ
    REF_G1: str = ""  # line-level prior authorization (837P)
    ordering: Provider | None = None  # 2420E NM1*DK (837P)
    rendering: Provider | None = None  # 2420A NM1*82 (837P)
    position: Position = field(default_factory=lambda: Position(0, 0))  # the LX
    service_position: Position | None = None  # the SV1/SV2
    date_position: Position | None = None  # the DTP*472
    last_ordinal: int = 0  # ordinal of the line's last segment

    @property
    def service_at(self) -> Position:
        """Where the procedure, charge and units are (SV1/SV2), else the LX."""
        return self.service_position or self.position

    @property
    def date_at(self) -> Position:
        """Where the service date is (DTP*472), else the SV1/SV2 or LX."""
        return self.date_position or self.service_position or self.position

    @property
    def is_s_code(self) -> bool:
        return self.procedure in S_CODES

    @property
    def SV101_2(self) -> str:  # noqa: N802 - the guide's name
        return self.procedure

    @property
    def SV201(self) -> str:  # noqa: N802
        return self.revenue_code


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """A value the reader could not read, so the model holds none (no date) or 0 (an
    amount). The structure rules STR003 (dates) and STR005 (amounts) report it; every
    other structural check reads the model itself."""

    rule: str  # STR003 (a date) or STR005 (an amount)
    element: str  # as the guides name it: CLM02, SV102, SV104, SV203, SV205, DTP03
    message: str
    where: Position


@dataclass(slots=True)
class Claim:
    """Loop 2300 with its hierarchy: one claim as the payer would adjudicate it."""

    envelope: Envelope
    CLM01: str  # patient control number (the claim id)
    total_charge: Decimal = Decimal(0)  # CLM02
    facility_code: str = ""  # CLM05-1: place of service (837P) / facility type (837I)
    facility_qualifier: str = ""  # CLM05-2: B (place of service) or A (UB facility)
    frequency: str = ""  # CLM05-3: 1 original, 7 replacement, 8 void
    REF_F8: str = ""  # payer claim control number of the claim being replaced/voided
    REF_G1: str = ""  # claim-level prior authorization / order id
    REF_D9: str = ""  # clearinghouse trace number
    filing_indicator: str = ""  # SBR09
    subscriber: Person = field(default_factory=Person)
    patient: Person | None = None  # 2010CA when the patient is a dependent
    billing: Provider = field(default_factory=lambda: Provider("85"))
    attending: Provider | None = None  # 837I 2310A NM1*71
    referring: Provider | None = None  # 2310A (837P) / 2310F (837I) NM1*DN
    rendering: Provider | None = None  # 837P 2310B NM1*82
    payer_id: str = ""  # 2010BB NM109
    payer_name: str = ""
    statement_from: date | None = None  # 837I DTP*434
    statement_to: date | None = None
    lines: list[ServiceLine] = field(default_factory=list)
    position: Position = field(default_factory=lambda: Position(0, 0))
    last_ordinal: int = 0  # ordinal of the claim's last segment
    hl_ordinals: tuple[int, ...] = ()  # first segment ordinals of the parent HL loops
    problems: list[ReadProblem] = field(default_factory=list)  # values the reader could not read
    raw: list[tuple[str, int, int]] = field(default_factory=list)
    # ^ the claim's own segments as read (text, ordinal, byte offset), CLM first: what
    #   the splits and the annotated copy write back, byte for byte
    separators: Separators | None = None  # the separators ``raw`` is spelled with

    @property
    def claim_id(self) -> str:
        return self.CLM01

    @property
    def form(self) -> str:
        return self.envelope.form

    @property
    def member_id(self) -> str:
        """The subscriber's member id (2010BA NM109), which identifies the coverage."""
        return self.subscriber.member_id

    @property
    def patient_person(self) -> Person:
        """The person who received the service: the dependent if any, else the subscriber."""
        return self.patient or self.subscriber

    @property
    def patient_key(self) -> str:
        """Identity of the patient for once-per-patient rules.

        A dependent shares the subscriber's member id, so the key adds the dependent's
        name and birth date; a subscriber-patient is identified by member id alone.
        """
        if self.patient is None:
            return self.subscriber.member_id
        p = self.patient
        born = p.birth_date.isoformat() if p.birth_date else ""
        return f"{self.subscriber.member_id}/{p.last.upper()}/{p.first.upper()}/{born}"

    @property
    def s_code_lines(self) -> list[ServiceLine]:
        return [line for line in self.lines if line.procedure in S_CODES]

    @property
    def has_s_code(self) -> bool:
        for line in self.lines:  # noqa: SIM110 - a loop, not any(<genexpr>): runs per claim
            if line.procedure in S_CODES:
                return True
        return False

    def line_date(self, line: ServiceLine) -> date | None:
        """The line's service date, falling back to the 837I statement period start."""
        return line.service_date or self.statement_from

    @property
    def key(self) -> tuple[str, int]:
        """Stable identity within one run: file and first segment ordinal."""
        return (self.envelope.file, self.position.ordinal)
