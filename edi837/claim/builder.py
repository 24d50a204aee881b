"""Build ``Claim`` objects from a stream of 837 segments, one claim at a time.

The 837 is a hierarchy (2000A billing provider > 2000B subscriber > 2000C patient >
2300 claim > 2400 line). This loop follows the hierarchy itself and buffers each claim's
own segments (CLM up to the next HL, CLM or SE); a complete buffer becomes a ``Claim``
in ``loop2300.build_claim``. Claims stream out with memory bounded by the largest claim,
not the file.

``ClaimReader(..., wanted=...)`` can skip building claims: the screening's first pass
only needs S-code claims, replacements and voids, and the other claims are then yielded
as ``None`` (so positions still count) after costing little more than tokenizing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from edi837.claim.loop2300 import ClaimSegment, build_claim, parse_d8
from edi837.claim.model import Claim, Envelope, Person, Position, Provider
from edi837.x12.envelope import EnvelopeTracker, Transaction
from edi837.x12.tokenizer import ReadNote, Segment, SegmentReader
from edi837.x12.tr3.validator import TR3Validator, padded_ordinals
from edi837.x12.versions import version_note

__all__ = ["ClaimReader", "KNOWN_837_SEGMENTS", "parse_d8"]

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
# The lazy pass below looks for the two S_CODES (S0353, S0354) literally, for speed.

EVERY_CLAIM = "all"
S_CODE_CLAIMS = "s-codes"  # S-code claims plus replacements and voids


class ClaimReader:
    """Read one 837 file (or binary stream) into claims, streaming.

    Iterate it for ``Claim`` objects; afterwards ``tracker`` holds the envelopes and
    syntax issues and ``notes`` the odd-but-readable conditions. Errors that stop
    reading raise ``X12SyntaxError`` (with file, segment ordinal and byte offset).
    With ``wanted=S_CODE_CLAIMS`` other claims come out as ``None``.
    """

    def __init__(
        self,
        source: str | Path | BinaryIO,
        *,
        name: str | None = None,
        wanted: str = EVERY_CLAIM,
        validator: TR3Validator | None = None,
        on_segment: Callable[[Segment], None] | None = None,
        checks: bool = True,
    ) -> None:
        self.source = source
        self.name = name or (str(source) if isinstance(source, str | Path) else "<stream>")
        self.tracker = EnvelopeTracker(self.name)
        self.notes: list[ReadNote] = []
        self.segments = 0
        self.content_hash = ""
        self.only_s_codes = wanted == S_CODE_CLAIMS
        self._reader: SegmentReader | None = None
        # TR3 validation in the same pass (edi837.x12.tr3): it sees every segment of
        # every transaction set, and then owns the checks the reader makes without it.
        self.validator = validator
        # Every segment outside a claim, in file order, as it is read (the answer pass's
        # splits and annotated copy); a claim's own segments travel as ``Claim.raw``.
        # A claim is yielded before the segment that ends it is handed over.
        self.on_segment = on_segment
        # The reader's own syntax checks (unknown segments, orphan LX, bad DMG02): off
        # in the answer pass, which takes every issue from the first read.
        self.checks = checks and validator is None

    @property
    def line_ending(self) -> str:
        """The input's line break after a segment terminator (see ``SegmentReader``)."""
        return (self._reader.line_ending if self._reader else None) or ""

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far (for progress reporting)."""
        return self._reader.bytes_read if self._reader else 0

    def __iter__(self) -> Iterator[Claim]:
        if isinstance(self.source, str | Path):
            from edi837.sources import open_source

            with open_source(self.source) as stream:
                yield from self._claims(stream)  # type: ignore[misc]
        else:
            yield from self._claims(self.source)  # type: ignore[misc]

    # The hot loop. Local variables, batches of pre-split segments and an if-chain
    # ordered by how often each segment occurs are deliberate: this runs once per
    # segment of every file. Segment objects are made only for envelope segments.
    def _claims(self, stream: BinaryIO) -> Iterator[Claim | None]:  # noqa: C901
        name = self.name
        tracker = self.tracker
        only_s_codes = self.only_s_codes
        known = KNOWN_837_SEGMENTS
        reader = SegmentReader(stream, name=name, on_note=self.notes.append)
        self._reader = reader
        validator = self.validator
        validate = validator.segment if validator is not None else None
        own_checks = self.checks  # else the validator (or the first read) reports these
        tap = self.on_segment
        st: Transaction | None = None
        envelope: Envelope | None = None
        bht: tuple[str, str] = ("", "")
        submitter: tuple[str, str, str] = ("", "", "")  # 1000A NM103, NM108, NM109
        claim_segs: list[ClaimSegment] | None = None  # the open claim's segments
        wanted = False  # build the open claim (lazy mode decides by its SV1/SV2, CLM05-3)
        loop = ""  # hierarchy loop: 2010AA, 2010AB, 2010BA, 2010BB, 2010CA
        billing = Provider("85")
        subscriber = Person()
        patient: Person | None = None
        person: Person | None = None  # person whose DMG follows
        filing = ""
        payer = ("", "")
        hl_ordinals: dict[str, int] = {}
        last: Segment | None = None
        st_segments = 0  # segments counted in the open transaction set
        ordinal = 0
        sep = None
        comp = ":"

        def finish(end: int) -> Claim | None:
            nonlocal claim_segs
            segs, claim_segs = claim_segs, None
            if segs is None or not (wanted or not only_s_codes):
                return None
            claim = build_claim(
                envelope,
                segs,
                sep,
                billing=billing,
                subscriber=subscriber,
                patient=patient,
                filing=filing,
                payer=payer,
                hl_ordinals=tuple(hl_ordinals.values()),
                last_ordinal=end,
            )
            claim.raw, claim.separators = segs, sep
            return claim

        last_batch = None
        for batch in reader.batches():
            last_batch = batch
            sep = batch.separators
            ele = sep.element
            comp = sep.component
            offsets = batch.offsets
            ordinal = batch.first_ordinal - 1
            if validator is not None:
                validator.padded = padded_ordinals(batch)
            for i, body in enumerate(batch.bodies):
                ordinal += 1
                k = body.find(ele)
                sid = body[:k] if k >= 0 else body
                if (
                    claim_segs is not None
                    and sid != "HL"
                    and sid != "CLM"
                    and (sid not in _ENVELOPE)
                ):
                    # Inside a claim: buffer the text; split it only if the claim is built.
                    claim_segs.append((body, ordinal, offsets[i]))
                    st_segments += 1
                    if validate is not None:
                        validate(sid, body, ordinal, offsets[i], ele, comp)
                    if not wanted and (sid == "SV1" or sid == "SV2"):
                        wanted = "S0353" in body or "S0354" in body
                    elif own_checks and sid not in known:
                        tracker.on_unknown_segment(
                            Segment(body.split(ele), ordinal, offsets[i], sep), st_segments
                        )
                    continue
                el = body.split(ele)
                if sid in _ENVELOPE:
                    seg = Segment(el, ordinal, offsets[i], sep)
                    last = seg
                    if validate is not None and sid == "SE" and st is not None:
                        validate(sid, body, ordinal, offsets[i], ele, comp)
                    if claim_segs is not None:
                        done = finish(ordinal - 1)
                        yield done
                    if tap is not None:
                        tap(seg)
                    if st is not None:
                        st.segments = st_segments
                    if sid == "ST":
                        st = tracker.on_st(seg)
                        if validator is not None and st is not None:
                            validator.begin_set(st.form, st.index)
                            validator.segment(sid, body, ordinal, offsets[i], ele, comp)
                        st_segments = 1
                        loop, bht, hl_ordinals = "header", ("", ""), {}
                        submitter = ("", "", "")
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
                    outside = Segment(el, ordinal, offsets[i], sep)
                    tracker.on_segment(outside)
                    if tap is not None:
                        tap(outside)
                    continue
                st_segments += 1
                if validate is not None:
                    validate(sid, body, ordinal, offsets[i], ele, comp, el)
                n = len(el)
                if sid == "CLM":
                    if claim_segs is not None:
                        yield finish(ordinal - 1)
                    if envelope is None:
                        envelope = _envelope(name, tracker, st, bht, submitter)
                    st.claims += 1
                    claim_segs = [(body, ordinal, offsets[i])]
                    frequency = el[5].split(comp)[2:3] if n > 5 else []
                    wanted = not only_s_codes or frequency == ["7"] or frequency == ["8"]
                elif sid == "NM1":
                    entity = el[1] if n > 1 else ""
                    if entity == "85":
                        npi = el[9] if n > 9 and el[8] == "XX" else ""
                        billing = _provider("85", el, n, npi, ordinal, offsets[i])
                        loop = "2010AA"
                    elif entity == "IL":
                        subscriber = Person(
                            el[3] if n > 3 else "", el[4] if n > 4 else "", el[9] if n > 9 else ""
                        )
                        person, loop = subscriber, "2010BA"
                    elif entity == "QC":
                        patient = Person(el[3] if n > 3 else "", el[4] if n > 4 else "")
                        person, loop = patient, "2010CA"
                    elif entity == "PR":
                        payer = (el[9] if n > 9 else "", el[3] if n > 3 else "")
                        person, loop = None, "2010BB"
                    elif entity == "41" and loop == "header":  # 1000A submitter
                        submitter = (
                            el[3] if n > 3 else "",
                            el[8] if n > 8 else "",
                            el[9] if n > 9 else "",
                        )
                        person = None
                    else:
                        person = None
                        loop = "2010AB" if loop == "2010AA" else loop
                elif sid == "HL":
                    if claim_segs is not None:
                        yield finish(ordinal - 1)
                    level = el[3] if n > 3 else ""
                    if level == "20":
                        hl_ordinals = {"20": ordinal}
                        billing, subscriber, patient = Provider("85"), Person(), None
                    elif level == "22":
                        hl_ordinals = {"20": hl_ordinals.get("20", 0), "22": ordinal}
                        subscriber, patient, filing = Person(), None, ""
                        payer = ("", "")
                    elif level == "23":
                        hl_ordinals = {**hl_ordinals, "23": ordinal}
                        patient = Person()
                    loop, person = "HL", None
                elif sid == "N4":
                    if loop == "2010AA":
                        billing.state = el[2] if n > 2 else ""
                elif sid == "DMG":
                    if person is not None and n > 2 and el[1] == "D8":
                        try:
                            person.birth_date = parse_d8(el[2])
                        except ValueError:
                            if own_checks:
                                tracker.on_bad_value(
                                    Segment(el, ordinal, offsets[i], sep),
                                    st_segments,
                                    2,
                                    "1251",
                                    "8",
                                    "DMG02 birth date is not a valid CCYYMMDD date",
                                )
                        person.gender = el[3] if n > 3 else ""
                elif sid == "REF":
                    if loop == "2010AA" and n > 2 and el[1] == "EI":
                        billing.tax_id = el[2]  # the 277CA's NM1*85 FI when no NPI
                elif sid == "SBR":
                    filing = el[9] if n > 9 else ""
                elif sid == "BHT":
                    bht = (el[3] if n > 3 else "", el[4] if n > 4 else "")
                elif sid == "LX" and own_checks:
                    tracker.on_orphan(
                        Segment(el, ordinal, offsets[i], sep),
                        "LX (service line) before any CLM",
                        st_segments,
                    )
                elif own_checks and sid not in known:
                    tracker.on_unknown_segment(Segment(el, ordinal, offsets[i], sep), st_segments)
                if tap is not None and sid != "CLM":
                    tap(Segment(el, ordinal, offsets[i], sep))
        if claim_segs is not None:
            yield finish(ordinal)
        if st is not None:
            st.segments = st_segments
        if last_batch is not None and last_batch.bodies:
            last = Segment(
                last_batch.bodies[-1].split(last_batch.separators.element),
                ordinal,
                last_batch.offsets[-1],
                last_batch.separators,
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
    name: str,
    tracker: EnvelopeTracker,
    st: Transaction,
    bht: tuple[str, str],
    submitter: tuple[str, str, str] = ("", "", ""),
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
        GS05=gs[5] if gs else "",
        submitter_name=submitter[0],
        submitter_id_qualifier=submitter[1],
        submitter_id=submitter[2],
    )
