"""Build ``Claim`` objects from a stream of 837 segments, one claim at a time.

The 837 is a hierarchy (2000A billing provider > 2000B subscriber > 2000C patient >
2300 claim > 2400 line). A claim is complete when the next CLM, HL or SE arrives, so
claims stream out with memory bounded by the largest claim, not the file.

Loops are told apart as the TR3s define them: by HL03 level code, by NM101 entity
code, and by position (an NM1 after CLM is a 2310 provider; after an SBR inside the
claim it belongs to 2320/2330 other-payer loops; after LX it is a 2420 line provider).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from edi837.claim.model import (
    FORM_837I,
    Claim,
    Envelope,
    Person,
    Position,
    Provider,
    ServiceLine,
)
from edi837.npi import is_valid_npi
from edi837.x12.envelope import EnvelopeTracker, Transaction, version_note
from edi837.x12.tokenizer import ReadNote, Segment, SegmentReader

# Segment ids the 837P/837I guides define (from pyx12's maps); anything else inside a
# transaction set is an unrecognized segment (999 IK304 code 1 or 2).
KNOWN_837_SEGMENTS = frozenset(  # noqa: SIM905 - a list of 42 ids reads better as words
    [
        "AMT",
        "BHT",
        "CAS",
        "CL1",
        "CLM",
        "CN1",
        "CR1",
        "CR2",
        "CR3",
        "CRC",
        "CTP",
        "CUR",
        "DMG",
        "DTP",
        "FRM",
        "HCP",
        "HI",
        "HL",
        "K3",
        "LIN",
        "LQ",
        "LX",
        "MEA",
        "MIA",
        "MOA",
        "N3",
        "N4",
        "NM1",
        "NTE",
        "OI",
        "PAT",
        "PER",
        "PRV",
        "PS1",
        "PWK",
        "QTY",
        "REF",
        "SBR",
        "SV1",
        "SV2",
        "SV5",
        "SVD",
    ]
)
_ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})

# Claim-level (2310) and line-level (2420) provider loops by NM101.
_CLAIM_PROVIDERS = {"71": "attending", "DN": "referring", "82": "rendering"}
_LINE_PROVIDERS = {"DK": "ordering", "82": "rendering"}


_DATES: dict[str, date] = {}
_DECIMALS: dict[str, Decimal] = {}
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
        number = Decimal(value) if value else Decimal(0)
        if not number.is_finite():
            raise InvalidOperation(value)
        if len(_DECIMALS) >= _CACHE_LIMIT:
            _DECIMALS.clear()
        _DECIMALS[value] = number
    return number


@lru_cache(maxsize=8192)
def _npi_ok(npi: str) -> bool:
    return is_valid_npi(npi)


class ClaimReader:
    """Read one 837 file (or binary stream) into claims, streaming.

    Iterate it for ``Claim`` objects; afterwards ``tracker`` holds the envelopes and
    syntax issues and ``notes`` the odd-but-readable conditions. Errors that stop
    reading raise ``X12SyntaxError`` (with file, segment ordinal and byte offset).
    """

    def __init__(self, source: str | Path | BinaryIO, *, name: str | None = None) -> None:
        self.source = source
        self.name = name or (str(source) if isinstance(source, str | Path) else "<stream>")
        self.tracker = EnvelopeTracker(self.name)
        self.notes: list[ReadNote] = []
        self.segments = 0
        self.content_hash = ""
        self._reader: SegmentReader | None = None

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far (for progress reporting)."""
        return self._reader.bytes_read if self._reader else 0

    def __iter__(self) -> Iterator[Claim]:
        if isinstance(self.source, str | Path):
            with open(self.source, "rb") as stream:
                yield from self._claims(stream)
        else:
            yield from self._claims(self.source)

    # The hot loop. Local variables, batches of pre-split segments and an if-chain
    # ordered by how often each segment occurs are deliberate: this runs once per
    # segment of every file. Segment objects are made only for envelope segments.
    def _claims(self, stream: BinaryIO) -> Iterator[Claim]:  # noqa: C901
        name = self.name
        tracker = self.tracker
        reader = SegmentReader(stream, name=name, on_note=self.notes.append)
        self._reader = reader
        st: Transaction | None = None
        envelope: Envelope | None = None
        bht: tuple[str, str] = ("", "")
        claim: Claim | None = None
        line: ServiceLine | None = None
        loop = ""  # current loop: 2010AA, 2010BA, 2010BB, 2010CA, 2300, 2310, 2320, 2400, 2420
        provider: Provider | None = None  # billing provider whose N4 follows
        billing = Provider("85")
        subscriber = Person()
        patient: Person | None = None
        person: Person | None = None  # person whose DMG follows
        filing = ""
        payer_id = payer_name = ""
        hl_ordinals: dict[str, int] = {}
        last: Segment | None = None
        st_segments = 0  # segments counted in the open transaction set
        ordinal = 0

        def finish(seg_ordinal: int) -> Claim | None:
            nonlocal claim, line
            done = claim
            if done is None:
                return None
            if line is not None:
                line.last_ordinal = seg_ordinal
            done.last_ordinal = seg_ordinal
            _check_claim(done)
            claim = line = None
            return done

        last_batch = None
        for batch in reader.batches():
            last_batch = batch
            sep = batch.separators
            comp = sep.component
            offsets = batch.offsets
            ordinal = batch.first_ordinal - 1
            for i, el in enumerate(batch.elements):
                ordinal += 1
                sid = el[0]
                if sid in _ENVELOPE:
                    seg = Segment(el, ordinal, offsets[i], sep)
                    last = seg
                    if claim is not None:
                        done = finish(ordinal - 1)
                        if done is not None:
                            yield done
                    if st is not None:
                        st.segments = st_segments
                    if sid == "ST":
                        st = tracker.on_st(seg)
                        st_segments = 1
                        loop, bht, hl_ordinals = "header", ("", ""), {}
                        envelope = None
                    elif sid == "SE":
                        tracker.on_se(seg)
                        st = None
                    elif sid == "GS":
                        tracker.on_gs(seg)
                    elif sid == "GE":
                        tracker.on_ge(seg)
                    elif sid == "ISA":
                        tracker.on_isa(seg)
                    else:
                        tracker.on_iea(seg)
                    continue
                if st is None:
                    tracker.on_segment(Segment(el, ordinal, offsets[i], sep))
                    continue
                st_segments += 1
                n = len(el)
                if sid == "NM1":
                    entity = el[1] if n > 1 else ""
                    npi = el[9] if n > 9 and el[8] == "XX" else ""
                    if loop == "2400" or loop == "2420":
                        loop = "2420"
                        role = _LINE_PROVIDERS.get(entity)
                        if role and line is not None:
                            setattr(line, role, _provider(entity, el, n, npi, ordinal, offsets[i]))
                    elif loop == "2300" or loop == "2310":
                        loop = "2310"
                        role = _CLAIM_PROVIDERS.get(entity)
                        if role and claim is not None:
                            setattr(claim, role, _provider(entity, el, n, npi, ordinal, offsets[i]))
                    elif loop == "2320":
                        person = None  # 2330x other subscriber / payer: not ours
                    elif entity == "85":
                        billing = _provider("85", el, n, npi, ordinal, offsets[i])
                        provider, loop = billing, "2010AA"
                    elif entity == "IL":
                        subscriber = Person(
                            el[3] if n > 3 else "", el[4] if n > 4 else "", el[9] if n > 9 else ""
                        )
                        person, provider, loop = subscriber, None, "2010BA"
                    elif entity == "QC":
                        patient = Person(el[3] if n > 3 else "", el[4] if n > 4 else "")
                        person, provider, loop = patient, None, "2010CA"
                    elif entity == "PR":
                        payer_name = el[3] if n > 3 else ""
                        payer_id = el[9] if n > 9 else ""
                        provider, person, loop = None, None, "2010BB"
                    else:
                        provider = person = None
                        if loop == "2010AA":
                            loop = "2010AB"  # pay-to address / plan
                elif sid == "REF":
                    if n > 2:
                        qual = el[1]
                        if loop == "2400":
                            if qual == "6R":
                                line.REF_6R = el[2]  # type: ignore[union-attr]
                            elif qual == "G1":
                                line.REF_G1 = el[2]  # type: ignore[union-attr]
                        elif loop == "2300":
                            if qual == "G1":
                                claim.REF_G1 = el[2]  # type: ignore[union-attr]
                            elif qual == "F8":
                                claim.REF_F8 = el[2]  # type: ignore[union-attr]
                            elif qual == "D9":
                                claim.REF_D9 = el[2]  # type: ignore[union-attr]
                elif sid == "DTP":
                    if n > 3:
                        qual = el[1]
                        if qual == "472" and loop == "2400":
                            _line_dates(claim, line, el, ordinal, offsets[i])
                        elif qual == "434" and loop == "2300":
                            _statement_dates(claim, el, ordinal, offsets[i])
                elif sid == "LX":
                    if claim is None:
                        tracker.on_orphan(
                            Segment(el, ordinal, offsets[i], sep),
                            "LX (service line) before any CLM",
                            st_segments,
                        )
                        continue
                    if line is not None:
                        line.last_ordinal = ordinal - 1
                    number = el[1] if n > 1 else ""
                    line = ServiceLine(
                        int(number) if number.isdigit() else 0,
                        position=Position(ordinal, offsets[i], "LX"),
                    )
                    claim.lines.append(line)
                    loop = "2400"
                elif sid == "SV1" or sid == "SV2":
                    if loop == "2400":
                        _service(claim, line, el, n, sid == "SV2", comp, ordinal, offsets[i])
                elif sid == "HL":
                    if claim is not None:
                        done = finish(ordinal - 1)
                        if done is not None:
                            yield done
                    level = el[3] if n > 3 else ""
                    if level == "20":
                        hl_ordinals = {"20": ordinal}
                        billing, subscriber, patient = Provider("85"), Person(), None
                        loop = "2000A"
                    elif level == "22":
                        hl_ordinals = {"20": hl_ordinals.get("20", 0), "22": ordinal}
                        subscriber, patient, filing = Person(), None, ""
                        payer_id = payer_name = ""
                        loop = "2000B"
                    elif level == "23":
                        hl_ordinals = {**hl_ordinals, "23": ordinal}
                        patient = Person()
                        loop = "2000C"
                    else:
                        loop = "HL"
                    provider = person = None
                elif sid == "CLM":
                    if claim is not None:
                        done = finish(ordinal - 1)
                        if done is not None:
                            yield done
                    if envelope is None:
                        envelope = _envelope(name, tracker, st, bht)
                    st.claims += 1
                    claim = _claim(envelope, el, n, comp, ordinal, offsets[i])
                    claim.filing_indicator = filing
                    claim.subscriber = subscriber
                    claim.patient = patient
                    claim.billing = billing
                    claim.payer_id, claim.payer_name = payer_id, payer_name
                    claim.hl_ordinals = tuple(hl_ordinals.values())
                    loop, provider, person = "2300", None, None
                elif sid == "SBR":
                    if claim is not None:
                        loop = "2320"  # other subscriber information, inside the claim
                        provider = person = None
                    else:
                        filing = el[9] if n > 9 else ""
                elif sid == "N4":
                    if loop == "2010AA" and provider is not None:
                        provider.state = el[2] if n > 2 else ""
                elif sid == "DMG":
                    if person is not None and n > 2 and el[1] == "D8":
                        try:
                            person.birth_date = parse_d8(el[2])
                        except ValueError:
                            if claim is not None:
                                claim.problems.append(
                                    (
                                        "STR003",
                                        f"DMG02 birth date {el[2]!r} is not a valid CCYYMMDD date",
                                        Position(ordinal, offsets[i], "DMG"),
                                    )
                                )
                        person.gender = el[3] if n > 3 else ""
                elif sid == "BHT":
                    bht = (el[3] if n > 3 else "", el[4] if n > 4 else "")
                elif sid not in KNOWN_837_SEGMENTS:
                    tracker.on_unknown_segment(Segment(el, ordinal, offsets[i], sep), st_segments)
        if claim is not None:
            done = finish(ordinal)
            if done is not None:
                yield done
        if st is not None:
            st.segments = st_segments
        if last_batch is not None and last_batch.elements:
            last = Segment(
                last_batch.elements[-1], ordinal, last_batch.offsets[-1], last_batch.separators
            )
        tracker.finish(last)
        self.segments = reader.segments_read
        self.content_hash = reader.content_hash


def _provider(entity: str, el: list[str], n: int, npi: str, ordinal: int, offset: int) -> Provider:
    last = el[3] if n > 3 else ""
    first = el[4] if n > 4 else ""
    name = f"{last}, {first}" if first else last
    return Provider(entity, npi, name, "", Position(ordinal, offset, "NM1"))


def _envelope(
    name: str, tracker: EnvelopeTracker, st: Transaction, bht: tuple[str, str]
) -> Envelope:
    isa = tracker.isa.ISA if tracker.isa else None
    gs = tracker.gs.GS if tracker.gs else None
    label = st.ST03 or (gs[8] if gs else "")
    return Envelope(
        file=name,
        ISA06=isa[6].strip() if isa else "",
        ISA08=isa[8].strip() if isa else "",
        ISA13=isa[13] if isa else "",
        GS02=gs[2] if gs else "",
        GS03=gs[3] if gs else "",
        GS04=gs[4] if gs else "",
        GS06=gs[6] if gs else "",
        GS08=gs[8] if gs else "",
        ST02=st.ST02,
        form=st.form,
        version_note=version_note(label),
        BHT03=bht[0],
        BHT04=bht[1],
        interchange_index=st.interchange,
        group_index=st.group,
        transaction_index=st.index,
    )


def _claim(
    envelope: Envelope, el: list[str], n: int, comp: str, ordinal: int, offset: int
) -> Claim:
    position = Position(ordinal, offset, "CLM")
    claim = Claim(envelope, el[1] if n > 1 else "", position=position)
    if not claim.CLM01:
        claim.problems.append(("STR005", "CLM01 (patient control number) is empty", position))
    try:
        claim.total_charge = _decimal(el[2] if n > 2 else "")
    except InvalidOperation:
        claim.problems.append(("STR005", f"CLM02 {el[2]!r} is not an amount", position))
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
    try:
        line.charge = _decimal(el[2 + shift] if n > 2 + shift else "")
        line.units = _decimal(el[4 + shift] if n > 4 + shift else "")
    except InvalidOperation:
        claim.problems.append(
            (
                "STR005",
                f"{el[0]} amount or units not numeric: {'*'.join(el)!r}",
                Position(ordinal, offset, el[0]),
            )
        )


def _dates(value: str, fmt: str) -> tuple[date, date | None]:
    if fmt == "RD8":
        start, _, end = value.partition("-")
        return parse_d8(start), parse_d8(end)
    return parse_d8(value), None


def _line_dates(
    claim: Claim | None, line: ServiceLine | None, el: list[str], ordinal: int, offset: int
) -> None:
    if claim is None or line is None:
        return
    line.date_position = Position(ordinal, offset, "DTP")
    try:
        line.service_date, line.service_date_end = _dates(el[3], el[2])
    except ValueError:
        claim.problems.append(
            (
                "STR003",
                f"DTP*472 service date {el[3]!r} ({el[2]}) is not a valid date",
                Position(ordinal, offset, "DTP"),
            )
        )


def _statement_dates(claim: Claim | None, el: list[str], ordinal: int, offset: int) -> None:
    if claim is None:
        return
    try:
        claim.statement_from, claim.statement_to = _dates(el[3], el[2])
    except ValueError:
        claim.problems.append(
            (
                "STR003",
                f"DTP*434 statement dates {el[3]!r} are not valid",
                Position(ordinal, offset, "DTP"),
            )
        )


def _check_claim(claim: Claim) -> None:
    """Structural checks a payer's front end applies before any business rule."""
    problems = claim.problems
    if not claim.lines:
        problems.append(
            ("STR001", f"claim {claim.CLM01} has no service line (2400 LX)", claim.position)
        )
        return
    for role, prov in (
        ("billing provider 2010AA", claim.billing),
        ("attending provider 2310A", claim.attending),
        ("referring provider", claim.referring),
        ("rendering provider 2310B", claim.rendering),
    ):
        if prov is not None and prov.npi and not _npi_ok(prov.npi):
            problems.append(
                ("STR002", f"{role} NPI {prov.npi} fails the NPI check digit", prov.position)
            )
    if not claim.billing.npi:
        problems.append(("STR002", "billing provider 2010AA has no NPI (NM108 XX)", claim.position))
    total = Decimal(0)
    for line in claim.lines:
        total += line.charge
        if line.ordering is not None and line.ordering.npi and not _npi_ok(line.ordering.npi):
            problems.append(
                (
                    "STR002",
                    f"ordering provider 2420E NPI {line.ordering.npi} fails the NPI check digit",
                    line.ordering.position,
                )
            )
        if line.service_date is None and claim.form != FORM_837I:
            problems.append(
                (
                    "STR006",
                    f"line {line.LX01} has no service date (DTP*472 is required on an 837P)",
                    line.position,
                )
            )
        if not line.procedure and not line.revenue_code:
            problems.append(
                ("STR007", f"line {line.LX01} has no SV1/SV2 service segment", line.position)
            )
    if claim.total_charge != total:
        problems.append(
            (
                "STR004",
                f"CLM02 total charge {claim.total_charge} does not equal "
                f"the sum of line charges {total}",
                claim.position,
            )
        )
