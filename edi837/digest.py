"""A claim as the judge sees it: the compact digest step 1 spools and step 2 judges.

Why a type of its own: the timeline rules (SC003-SC007), SC014 and SC016 judge a claim
long after it was read, from a disk spool; they read these named fields, never a
``Claim`` rebuilt from a tuple. Named tuples pickle small and fast, so memory stays flat
at any batch size. ``edi837.judge.make_digest`` makes them from a screened claim.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from edi837.x12.position import Position


class LineDigest(NamedTuple):
    """One S-code line of a digest."""

    LX01: int
    procedure: str
    day: int  # date ordinal (the line's DTP*472, else the 837I statement start); 0: none
    units: str  # SV104 / SV205 as a decimal text
    order_id: str  # the covering authorization's order id, else REF*G1 (line, then claim)
    charge: str  # SV102 / SV203, two decimals
    ordering_npi: str
    date_at: Position  # the service date (DTP*472), else the line
    s0354_max_months: int | None = None  # the covering authorization's month limit
    regimen: str = ""  # the covering authorization's regimen (feed column)

    @property
    def service_date(self) -> date | None:
        return date.fromordinal(self.day) if self.day else None

    @property
    def unit_count(self) -> Decimal:
        return Decimal(self.units)


class Source(NamedTuple):
    """Where a claim came from: file, ISA06, ISA13, envelope indexes, CLM ordinal."""

    file: str
    sender: str
    ISA13: str
    interchange: int
    group: int
    transaction: int
    ordinal: int


class Digest(NamedTuple):
    """Everything the timeline rules, SC014 and SC016 need of a claim."""

    key: int
    CLM01: str
    REF_F8: str
    frequency: str  # CLM05-3
    form: str
    member_id: str
    patient_key: str
    rejected: bool  # by a per-claim rule
    lines: tuple[LineDigest, ...]
    source: Source
    position: Position  # the CLM segment
    billing_npi: str = ""
    reasons: tuple[str, ...] = ()  # the per-claim rejections, "SC008: ..."
