"""Loop 2300 and below: build one ``Claim`` from its buffered segments.

The claim builder (``builder.py``) walks the hierarchy and buffers each claim's own
segments (CLM up to the next HL, CLM or SE). This module turns such a buffer into a
``Claim``: the 2300 claim, its 2310 providers, 2320/2330 other-payer loops (skipped),
2400 service lines and their 2420 providers, as the 837P and 837I guides lay them out.
Keeping it apart lets the reader skip building claims nobody needs (a screening pass
only needs S-code claims) without a second copy of the loop logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from edi837.claim.model import (
    Claim,
    Envelope,
    Person,
    Position,
    Provider,
    ReadProblem,
    ServiceLine,
)
from edi837.numeric import ascii_int
from edi837.x12.separators import Separators

# Claim-level (2310) and line-level (2420) provider loops by NM101.
_CLAIM_PROVIDERS = {"71": "attending", "DN": "referring", "82": "rendering"}
_LINE_PROVIDERS = {"DK": "ordering", "82": "rendering"}

_USED = frozenset({"REF", "NM1", "DTP", "LX", "SV1", "SV2", "SBR"})

ClaimSegment = tuple[str, int, int]  # (segment text, ordinal, byte offset)


_UNREADABLE = "is not a number"  # STR005 wording
_DATES: dict[str, date] = {}
_DECIMALS: dict[str, Decimal] = {}
_MAX_R_TEXT = 24  # an X12 R (decimal) element: 1-18 digits, sign and point
_MAX_R_DIGITS = 18
_CACHE_LIMIT = 50_000  # values repeat heavily in a batch; the caches stay small


def parse_d8(value: str) -> date:
    """CCYYMMDD to a date; raises ValueError for anything else."""
    day = _DATES.get(value)
    if day is None:
        if len(value) != 8 or not value.isdigit():
            raise ValueError(value)
        day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if len(_DATES) >= _CACHE_LIMIT:
            _DATES.clear()
        _DATES[value] = day
    return day


def _decimal(value: str) -> Decimal:
    number = _DECIMALS.get(value)
    if number is None:
        if len(value) > _MAX_R_TEXT:
            raise InvalidOperation(value[:20])
        number = Decimal(value) if value else Decimal(0)
        if not number.is_finite() or abs(number.adjusted()) > _MAX_R_DIGITS:
            raise InvalidOperation(value)  # X12 R is at most 18 digits (no 1E999999)
        if len(_DECIMALS) >= _CACHE_LIMIT:
            _DECIMALS.clear()
        _DECIMALS[value] = number
    return number


def build_claim(
    envelope: Envelope,
    segments: Sequence[ClaimSegment],
    separators: Separators,
    *,
    billing: Provider,
    subscriber: Person,
    patient: Person | None,
    filing: str,
    payer: tuple[str, str],
    hl_ordinals: tuple[int, ...],
    last_ordinal: int,
) -> Claim:
    """A Claim from its segments (the first is the CLM) and its hierarchy context."""
    ele, comp = separators.element, separators.component
    body, ordinal, offset = segments[0]
    el = body.split(ele)
    claim = _claim(
        envelope,
        el,
        len(el),
        comp,
        ordinal,
        offset,
        Claim(
            envelope,
            "",
            filing_indicator=filing,
            subscriber=subscriber,
            patient=patient,
            billing=billing,
            payer_id=payer[0],
            payer_name=payer[1],
            hl_ordinals=hl_ordinals,
        ),
    )
    line: ServiceLine | None = None
    lines = claim.lines
    loop = "2300"
    for body, ordinal, offset in segments[1:]:
        k = body.find(ele)
        sid = body[:k] if k >= 0 else body
        if sid not in _USED:
            continue  # N3, HI, AMT, NTE, PWK, CL1...: nothing the screen reads
        el = body.split(ele)
        n = len(el)
        if sid == "REF":
            if n > 2:
                qual = el[1]
                if loop == "2400":
                    if qual == "6R":
                        line.REF_6R = el[2]  # type: ignore[union-attr]
                    elif qual == "G1":
                        line.REF_G1 = el[2]  # type: ignore[union-attr]
                elif loop == "2300":
                    if qual == "G1":
                        claim.REF_G1 = el[2]
                    elif qual == "F8":
                        claim.REF_F8 = el[2]
                    elif qual == "D9":
                        claim.REF_D9 = el[2]
        elif sid == "NM1":
            entity = el[1] if n > 1 else ""
            npi = el[9] if n > 9 and el[8] == "XX" else ""
            if loop == "2400" or loop == "2420":
                loop = "2420"
                role = _LINE_PROVIDERS.get(entity)
                if role and line is not None:
                    setattr(line, role, _provider(entity, el, n, npi, ordinal, offset))
            elif loop == "2300" or loop == "2310":
                loop = "2310"
                role = _CLAIM_PROVIDERS.get(entity)
                if role:
                    setattr(claim, role, _provider(entity, el, n, npi, ordinal, offset))
        elif sid == "DTP":
            if n > 3:
                qual = el[1]
                if qual == "472" and loop == "2400" and line is not None:
                    line.date_position = Position(ordinal, offset, "DTP")
                    dates = _dtp_dates(claim, el, ordinal, offset)
                    if dates:
                        line.service_date, line.service_date_end = dates
                elif qual == "434" and loop == "2300":
                    dates = _dtp_dates(claim, el, ordinal, offset)
                    if dates:
                        claim.statement_from, claim.statement_to = dates
        elif sid == "LX":
            if line is not None:
                line.last_ordinal = ordinal - 1
            number = el[1] if n > 1 else ""
            line = ServiceLine(
                ascii_int(number, 6) or 0,
                position=Position(ordinal, offset, "LX"),  # N0 1-6
            )
            lines.append(line)
            loop = "2400"
        elif sid == "SV1" or sid == "SV2":
            if loop == "2400":
                _service(claim, line, el, n, sid == "SV2", comp, ordinal, offset)
        elif sid == "SBR":
            loop = "2320"  # other subscriber information: 2320/2330 are not screened
    if line is not None:
        line.last_ordinal = last_ordinal
    claim.last_ordinal = last_ordinal
    return claim


def _provider(entity: str, el: list[str], n: int, npi: str, ordinal: int, offset: int) -> Provider:
    last = el[3] if n > 3 else ""
    first = el[4] if n > 4 else ""
    name = f"{last}, {first}" if first else last
    return Provider(entity, npi, name, "", Position(ordinal, offset, "NM1"))


def _claim(
    envelope: Envelope,
    el: list[str],
    n: int,
    comp: str,
    ordinal: int,
    offset: int,
    claim: Claim,
) -> Claim:
    """CLM: claim id, total charge and CLM05 (facility, qualifier, frequency), filled into
    a Claim made with its hierarchy already (no throw-away default objects)."""
    position = Position(ordinal, offset, "CLM")
    claim.CLM01 = el[1] if n > 1 else ""
    claim.position = position
    try:
        claim.total_charge = _decimal(el[2] if n > 2 else "")
    except InvalidOperation:
        claim.problems.append(
            ReadProblem("STR005", "CLM02", f"CLM02 total charge {_UNREADABLE}", position)
        )
    composite = (el[5] if n > 5 else "").split(comp)
    composite += [""] * (3 - len(composite))
    claim.facility_code, claim.facility_qualifier, claim.frequency = composite[:3]
    return claim


def _service(
    claim: Claim | None,
    line: ServiceLine | None,
    el: list[str],
    n: int,
    institutional: bool,
    comp: str,
    ordinal: int,
    offset: int,
) -> None:
    """SV1 (837P: SV101 procedure, SV102 charge, SV103 basis, SV104 units) or
    SV2 (837I: SV201 revenue code, SV202 procedure, SV203 charge, SV204 basis, SV205 units)."""
    if claim is None or line is None:
        return
    shift = 1 if institutional else 0
    line.service_position = Position(ordinal, offset, el[0])
    if institutional:
        line.revenue_code = el[1] if n > 1 else ""
    composite = (el[1 + shift] if n > 1 + shift else "").split(comp)
    line.procedure_qualifier = composite[0]
    if len(composite) > 1:
        line.procedure = composite[1]
        if len(composite) > 2:
            line.modifiers = tuple(m for m in composite[2:6] if m)
    line.unit_basis = el[3 + shift] if n > 3 + shift else ""
    # Charge and units are read apart: a bad charge must not also zero the units (a
    # units finding would follow from the charge's error, not from the units).
    where = Position(ordinal, offset, el[0])
    try:
        line.charge = _decimal(el[2 + shift] if n > 2 + shift else "")
    except InvalidOperation:
        line.charge_readable = False
        element = f"{el[0]}{2 + shift:02d}"
        claim.problems.append(
            ReadProblem("STR005", element, f"{element} charge {_UNREADABLE}", where)
        )
    try:
        line.units = _decimal(el[4 + shift] if n > 4 + shift else "")
    except InvalidOperation:
        element = f"{el[0]}{4 + shift:02d}"
        claim.problems.append(
            ReadProblem("STR005", element, f"{element} units {_UNREADABLE}", where)
        )


def _dates(value: str, fmt: str) -> tuple[date, date | None]:
    if fmt == "RD8":
        start, _, end = value.partition("-")
        return parse_d8(start), parse_d8(end)
    return parse_d8(value), None


_BAD_DATE = {
    "472": "DTP*472 service date {value!r} ({fmt}) is not a valid date",
    "434": "DTP*434 statement dates {value!r} are not valid",
}


def _dtp_dates(
    claim: Claim, el: list[str], ordinal: int, offset: int
) -> tuple[date, date | None] | None:
    """DTP03 as (start, end) for D8 or RD8; a bad date is a structural problem (STR003)."""
    try:
        return _dates(el[3], el[2])
    except ValueError:
        message = _BAD_DATE[el[1]].format(value=el[3], fmt=el[2])
        claim.problems.append(
            ReadProblem("STR003", "DTP03", message, Position(ordinal, offset, "DTP"))
        )
        return None
