"""Envelope checks: ISA/IEA, GS/GE and ST/SE control numbers and counts.

A mismatch is a reported ``SyntaxIssue`` (what a 999 or TA1 would say), never a crash:
the reader keeps going so every claim in the file is still accounted for. Each issue
carries the 999 coordinates (IK3/IK4/IK5/AK9 codes) the 999 writer needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edi837.errors import UnsupportedVersionError
from edi837.x12.position import FORM_837I, FORM_837P, Position
from edi837.x12.separators import Separators
from edi837.x12.tokenizer import Segment

# Version labels: the base guide, its errata, or no suffix at all, all read as 5010.
_VERSION_FORMS = {
    "005010X222A1": FORM_837P,
    "005010X222A2": FORM_837P,
    "005010X222": FORM_837P,
    "005010X223A2": FORM_837I,
    "005010X223A3": FORM_837I,
    "005010X223A1": FORM_837I,
    "005010X223": FORM_837I,
}
CANONICAL = {FORM_837P: "005010X222A1", FORM_837I: "005010X223A2"}
MAX_CLAIMS_PER_ST = 5000  # 837 TR3 section 1.4: at most 5,000 CLM per transaction set


def form_for_version(label: str) -> str | None:
    """837P/837I for a 5010 version label (errata and bare labels included), else None."""
    return _VERSION_FORMS.get(label.strip())


def version_note(label: str) -> str:
    form = form_for_version(label)
    if form and label != CANONICAL[form]:
        return f"version label {label!r} read as {form} {CANONICAL[form]}"
    return ""


@dataclass(slots=True)
class SyntaxIssue:
    """An envelope or syntax problem, with what a 999 needs to report it.

    ``severity`` is ``error`` (the scope's claims are rejected and the run exits 2)
    or ``warning`` (reported, nothing rejected).
    """

    severity: str
    code: str
    message: str
    position: Position
    scope: str  # "file", "interchange", "group" or "transaction"
    interchange: int = 0  # 1-based indexes within the file; 0 = not applicable
    group: int = 0
    transaction: int = 0
    ik3: tuple[str, int, str, str] | None = None  # (segment id, position in set, loop, IK304)
    ik4: tuple[str, str, str, str] | None = None  # (position, element ref, IK403, bad value)
    ik5: str = ""  # IK502 code for the transaction set
    ak9: str = ""  # AK905 code for the group
    claim: int = -1  # scope "claim": the claim's index in the file (TR3 errors in 2300..)
    context: str = ""  # scope "claim": CLM01, for the 999's CTX*CLM01:<id>

    def rejects(self, interchange: int, group: int, transaction: int) -> bool:
        """True when this error covers a claim in the given envelope."""
        if self.severity != "error" or self.scope == "claim":
            return False  # a claim-scope error rejects only its claim (IK5*E for the set)
        if self.scope == "file":
            return True
        if self.scope == "interchange":
            return interchange == self.interchange
        if self.scope == "group":
            return group == self.group
        return transaction == self.transaction


@dataclass(slots=True)
class Interchange:
    index: int
    ISA: Segment
    separators: Separators
    groups: int = 0
    closed: bool = False


@dataclass(slots=True)
class Group:
    index: int
    interchange: int
    GS: Segment
    transactions: int = 0
    accepted: int = 0
    closed: bool = False


@dataclass(slots=True)
class Transaction:
    """One ST..SE with the facts the 999 and 277CA writers need."""

    index: int
    interchange: int
    group: int
    ST01: str
    ST02: str
    ST03: str
    form: str
    position: Position
    segments: int = 0
    claims: int = 0
    closed: bool = False
    errors: list[SyntaxIssue] = field(default_factory=list)


class EnvelopeTracker:
    """Follows ISA/GS/ST nesting across one file and records every envelope issue."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[SyntaxIssue] = []
        self.interchanges: list[Interchange] = []
        self.groups: list[Group] = []
        self.transactions: list[Transaction] = []
        self.isa: Interchange | None = None
        self.gs: Group | None = None
        self.st: Transaction | None = None

    # -- helpers -------------------------------------------------------------
    def _issue(self, severity: str, code: str, message: str, seg: Segment, scope: str,
               **coords: object) -> SyntaxIssue:
        issue = SyntaxIssue(
            severity, code, message, Position(seg.ordinal, seg.offset, seg.id), scope,
            interchange=self.isa.index if self.isa else 0,
            group=self.gs.index if self.gs else 0,
            transaction=self.st.index if self.st else 0,
            **coords,  # type: ignore[arg-type]
        )
        self.issues.append(issue)
        if self.st is not None and scope == "transaction" and severity == "error":
            self.st.errors.append(issue)
        return issue

    @property
    def has_errors(self) -> bool:
        return any(i.severity == "error" for i in self.issues)

    # -- envelope segments ---------------------------------------------------
    def on_isa(self, seg: Segment) -> None:
        if self.isa is not None and not self.isa.closed:
            self._issue("error", "IEA_MISSING",
                        f"interchange {self.isa.ISA[13]} has no IEA before the next ISA",
                        seg, "interchange")
        self.gs = self.st = None
        if seg[12] != "00501":
            version = seg[12] or "(empty)"
            label = "4010" if version == "00401" else f"version {version}"
            raise UnsupportedVersionError(
                f"ISA12 {version}: this is a {label} interchange; edi837 reads only 5010 "
                "(00501) 837P/837I and refuses to guess at other versions",
                file=self.file, segment_ordinal=seg.ordinal, byte_offset=seg.offset,
                segment_id="ISA",
            )
        self.isa = Interchange(len(self.interchanges) + 1, seg, seg.separators)
        self.interchanges.append(self.isa)

    def on_gs(self, seg: Segment) -> None:
        if self.isa is None:
            self._issue("error", "GS_OUTSIDE_ISA", "GS outside an interchange", seg, "file")
            return
        if self.gs is not None and not self.gs.closed:
            self._issue("error", "GE_MISSING", f"group {self.gs.GS[6]} has no GE before this GS",
                        seg, "group", ak9="3")
        label = seg[8]
        if label.startswith("004") or (label[:6].isdigit() and not label.startswith("005010")):
            raise UnsupportedVersionError(
                f"GS08 {label}: not a 5010 version; edi837 reads only 005010X222 (837P) and "
                "005010X223 (837I)",
                file=self.file, segment_ordinal=seg.ordinal, byte_offset=seg.offset,
                segment_id="GS",
            )
        self.isa.groups += 1
        self.gs = Group(len(self.groups) + 1, self.isa.index, seg)
        self.groups.append(self.gs)

    def on_st(self, seg: Segment) -> Transaction | None:
        if self.gs is None:
            self._issue("error", "ST_OUTSIDE_GS", "ST outside a functional group", seg, "file")
            return None
        if self.st is not None and not self.st.closed:
            self._issue("error", "SE_MISSING",
                        f"transaction set {self.st.ST02} has no SE before this ST", seg,
                        "transaction", ik5="2")
        self.gs.transactions += 1
        gs08 = self.gs.GS[8]
        label = seg[3] or gs08
        form = form_for_version(label) or form_for_version(gs08) or ""
        self.st = Transaction(
            len(self.transactions) + 1, self.isa.index if self.isa else 0, self.gs.index,
            seg[1], seg[2], seg[3], form, Position(seg.ordinal, seg.offset, "ST"), segments=1,
        )
        self.transactions.append(self.st)
        if seg[1] != "837":
            self._issue("error", "ST_NOT_837",
                        f"transaction set {seg[1]!r} is not an 837 claim", seg, "transaction",
                        ik5="1")
        elif not form:
            self._issue("error", "VERSION_UNKNOWN",
                        f"version {label!r} (ST03/GS08) is neither 837P 005010X222 nor 837I "
                        "005010X223", seg, "transaction", ik5="1")
        elif seg[3] and gs08 and form_for_version(gs08) != form:
            self._issue("error", "VERSION_MISMATCH",
                        f"ST03 {seg[3]!r} does not match GS08 {gs08!r}", seg, "transaction",
                        ik5="6", ik4=("3", "1705", "7", seg[3]))
        else:
            note = version_note(label)
            if note:
                self._issue("warning", "ERRATA_LABEL", note, seg, "transaction")
        if not seg[2]:
            self._issue("error", "ST02_MISSING", "ST02 control number is empty", seg,
                        "transaction", ik5="7")
        return self.st

    def on_se(self, seg: Segment) -> None:
        st = self.st
        if st is None or st.closed:
            self._issue("error", "SE_UNEXPECTED", "SE without a matching ST", seg, "file")
            return
        st.segments += 1
        if seg[2] != st.ST02:
            self._issue("error", "SE_CONTROL", f"SE02 {seg[2]!r} does not match ST02 {st.ST02!r}",
                        seg, "transaction", ik5="3")
        if seg[1] != str(st.segments):
            self._issue("error", "SE_COUNT",
                        f"SE01 says {seg[1] or '(empty)'} segments, the set has {st.segments}",
                        seg, "transaction", ik5="4")
        if st.claims > MAX_CLAIMS_PER_ST:
            self._issue("warning", "ST_OVER_5000",
                        f"transaction set {st.ST02} holds {st.claims} claims; the 837 guides "
                        f"limit a transaction set to {MAX_CLAIMS_PER_ST}", seg, "transaction")
        st.closed = True
        if self.gs is not None and not st.errors:
            self.gs.accepted += 1
        self.st = None

    def on_ge(self, seg: Segment) -> None:
        gs = self.gs
        if gs is None or gs.closed:
            self._issue("error", "GE_UNEXPECTED", "GE without a matching GS", seg, "file")
            return
        if self.st is not None and not self.st.closed:
            self._issue("error", "SE_MISSING", f"transaction set {self.st.ST02} has no SE",
                        seg, "transaction", ik5="2")
            self.st = None
        if seg[2] != gs.GS[6]:
            self._issue("error", "GE_CONTROL",
                        f"GE02 {seg[2]!r} does not match GS06 {gs.GS[6]!r}", seg, "group",
                        ak9="4")
        if seg[1] != str(gs.transactions):
            self._issue("error", "GE_COUNT",
                        f"GE01 says {seg[1] or '(empty)'} transaction sets, the group has "
                        f"{gs.transactions}", seg, "group", ak9="5")
        gs.closed = True
        self.gs = None

    def on_iea(self, seg: Segment) -> None:
        isa = self.isa
        if isa is None or isa.closed:
            self._issue("error", "IEA_UNEXPECTED", "IEA without a matching ISA", seg, "file")
            return
        if self.gs is not None and not self.gs.closed:
            self._issue("error", "GE_MISSING", f"group {self.gs.GS[6]} has no GE", seg, "group",
                        ak9="3")
            self.gs = None
        if seg[2] != isa.ISA[13]:
            self._issue("error", "IEA_CONTROL",
                        f"IEA02 {seg[2]!r} does not match ISA13 {isa.ISA[13]!r}", seg,
                        "interchange")
        if seg[1] != str(isa.groups):
            self._issue("error", "IEA_COUNT",
                        f"IEA01 says {seg[1] or '(empty)'} groups, the interchange has "
                        f"{isa.groups}", seg, "interchange")
        isa.closed = True

    def on_segment(self, seg: Segment) -> None:
        """Count a segment inside ST..SE (or flag one outside any transaction set)."""
        if self.st is None:
            self._issue("error", "OUTSIDE_ST",
                        f"segment {seg.id} outside a transaction set", seg, "file")
        else:
            self.st.segments += 1

    def finish(self, last: Segment | None) -> None:
        """At end of file: anything still open means the file was truncated."""
        if last is None:
            return
        if self.st is not None and not self.st.closed:
            self._issue("error", "TRUNCATED",
                        f"file ends inside transaction set {self.st.ST02} (no SE): truncated",
                        last, "transaction", ik5="2")
        if self.gs is not None and not self.gs.closed:
            self._issue("error", "GE_MISSING",
                        f"file ends inside group {self.gs.GS[6]} (no GE): truncated", last,
                        "group", ak9="3")
        if self.isa is not None and not self.isa.closed:
            self._issue("error", "IEA_MISSING",
                        f"file ends inside interchange {self.isa.ISA[13]} (no IEA): truncated",
                        last, "interchange")

    def on_unknown_segment(self, seg: Segment, position_in_set: int) -> None:
        """A segment id the 837 guides do not define, inside a transaction set."""
        valid_id = 2 <= len(seg.id) <= 3 and seg.id.isalnum() and seg.id.isupper()
        shown = seg.id if valid_id else repr(seg.id[:20])
        self._issue("error", "UNKNOWN_SEGMENT",
                    f"segment id {shown} is not an 837 segment (garbage or wrong separator)",
                    seg, "transaction",
                    ik3=(seg.id[:3] if valid_id else "", position_in_set, "",
                         "1" if valid_id else "2"), ik5="5")

    def on_orphan(self, seg: Segment, what: str, position_in_set: int) -> None:
        """A segment out of its place in the 837 hierarchy (e.g. LX before any CLM)."""
        self._issue("error", "SEGMENT_ORDER", what, seg, "transaction",
                    ik3=(seg.id, position_in_set, "", "7"), ik5="5")

    def on_bad_value(self, seg: Segment, position_in_set: int, element: int, reference: str,
                     code: str, message: str) -> None:
        """An element whose value breaks its data element's format (999 IK4), e.g. a
        birth date that is not a date: the transaction set is rejected, as a 999 would."""
        value = seg[element]
        self._issue("error", "BAD_VALUE", message, seg, "transaction",
                    ik3=(seg.id, position_in_set, "", "8"),
                    ik4=(str(element), reference, code, value), ik5="5")
