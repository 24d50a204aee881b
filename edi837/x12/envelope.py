"""Envelope checks: ISA/IEA, GS/GE and ST/SE control numbers and counts.

A mismatch is a reported ``SyntaxIssue`` (what a 999 or TA1 would say), never a crash:
the reader keeps going so every claim in the file is still accounted for. Each issue
carries the 999 coordinates (IK3/IK4/IK5/AK9 codes) the 999 writer needs.
The issue type (``syntax_issue``) and the version labels (``versions``) have modules of
their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edi837.errors import UnsupportedVersionError
from edi837.safetext import shown_segment_id
from edi837.verdicts import Severity
from edi837.x12.position import Position
from edi837.x12.separators import Separators
from edi837.x12.syntax_issue import SyntaxIssue
from edi837.x12.tokenizer import Segment
from edi837.x12.versions import form_for_version, version_note

MAX_CLAIMS_PER_ST = 5000  # 837 TR3 section 1.4: at most 5,000 CLM per transaction set


@dataclass(slots=True)
class Interchange:
    index: int
    ISA: Segment
    separators: Separators
    groups: int = 0
    closed: bool = False
    GS06s: set[str] = field(default_factory=set)  # its groups' control numbers so far


@dataclass(slots=True)
class Group:
    index: int
    interchange: int
    GS: Segment
    transactions: int = 0
    accepted: int = 0
    closed: bool = False
    GE01: str = ""  # the trailer's count as sent (the 999's AK902), "" without a GE
    ST02s: set[str] = field(default_factory=set)  # its sets' control numbers so far


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


# ISA05/ISA07 interchange id qualifiers (data element I05) of the 00501 control map.
ID_QUALIFIERS = frozenset({"01", "14", "20", "27", "28", "29", "30", "33", "ZZ"})


def valid_yymmdd(value: str) -> bool:
    if len(value) != 6 or not value.isdigit():
        return False
    month, day = int(value[2:4]), int(value[4:6])
    year = 2000 + int(value[:2])
    days = (31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    return 1 <= month <= 12 and 1 <= day <= days[month - 1]


def valid_hhmm(value: str) -> bool:
    return len(value) == 4 and value.isdigit() and int(value[:2]) < 24 and int(value[2:]) < 60


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
    def _issue(
        self,
        severity: Severity,
        code: str,
        message: str,
        seg: Segment,
        scope: str,
        **coords: object,
    ) -> SyntaxIssue:
        if scope == "file" and (self.isa is None or self.isa.closed):
            # Between interchanges (a stray segment after an IEA): the complete
            # interchanges around it are unharmed, and their claims stand.
            scope = "outside"
        issue = SyntaxIssue(
            severity,
            code,
            message,
            Position(seg.ordinal, seg.offset, seg.id),
            scope,
            interchange=self.isa.index if self.isa else 0,
            group=self.gs.index if self.gs else 0,
            transaction=self.st.index if self.st else 0,
            **coords,  # type: ignore[arg-type]
        )
        self.issues.append(issue)
        if self.st is not None and scope == "transaction" and severity is Severity.REJECT:
            self.st.errors.append(issue)
        return issue

    def _in_isa(self, note: str) -> str:
        """A TA105 note code for an error inside an open interchange, else none."""
        return note if self.isa is not None and not self.isa.closed else ""

    @property
    def has_errors(self) -> bool:
        return any(i.severity is Severity.REJECT for i in self.issues)

    # -- envelope segments ---------------------------------------------------
    def on_isa(self, seg: Segment) -> None:
        if self.isa is not None and not self.isa.closed:
            self._issue(
                Severity.REJECT,
                "IEA_MISSING",
                f"interchange {self.isa.ISA[13]} has no IEA before the next ISA",
                seg,
                "interchange",
                ta1="023",
            )
        self.gs = self.st = None
        seen = {i.ISA[13] for i in self.interchanges}
        self.isa = Interchange(len(self.interchanges) + 1, seg, seg.separators)
        self.interchanges.append(self.isa)
        if seg[12] != "00501":
            version = seg[12] or "(empty)"
            label = "4010" if version == "00401" else f"version {version}"
            message = (
                f"ISA12 {version}: this is a {label} interchange; edi837 reads only "
                "5010 (00501) 837P/837I and refuses to guess at other versions"
            )
            # FATAL: recorded for the TA1 only; the exception carries the error itself.
            self._issue(Severity.FATAL, "ISA_VERSION", message, seg, "interchange", ta1="017")
            raise UnsupportedVersionError(
                message,
                file=self.file,
                segment_ordinal=seg.ordinal,
                byte_offset=seg.offset,
                segment_id="ISA",
            )
        self._check_isa(seg, seen)

    def _check_isa(self, seg: Segment, seen: set[str]) -> None:
        """The ISA's own values (TA105 note codes 005..025); an error rejects the
        interchange, answered by a TA1 (``R``) as a clearinghouse would."""
        checks = (  # (element, bad?, TA105 note code, what it is)
            (1, seg[1] not in ("00", "03"), "010", "authorization qualifier"),
            (3, seg[3] not in ("00", "01"), "012", "security qualifier"),
            (5, seg[5].strip() not in ID_QUALIFIERS, "005", "sender id qualifier"),
            (6, not seg[6].strip(), "006", "sender id"),
            (7, seg[7].strip() not in ID_QUALIFIERS, "007", "receiver id qualifier"),
            (8, not seg[8].strip(), "008", "receiver id"),
            (9, not valid_yymmdd(seg[9]), "014", "interchange date (YYMMDD)"),
            (10, not valid_hhmm(seg[10]), "015", "interchange time (HHMM)"),
            (13, not (len(seg[13]) == 9 and seg[13].isdigit()), "018", "control number (9 digits)"),
            (14, seg[14] not in ("0", "1"), "019", "acknowledgment requested (0 or 1)"),
            (15, seg[15] not in ("P", "T"), "020", "usage indicator (P or T)"),
        )
        for element, bad, note, what in checks:
            if bad:
                self._issue(
                    Severity.REJECT,
                    "ISA_VALUE",
                    f"invalid ISA{element:02d} {what}: {seg[element].strip()!r}",
                    seg,
                    "interchange",
                    ta1=note,
                )
        isa11 = seg[11]
        if len(isa11) == 1 and isa11.isalnum():
            # 5010 ISA11 is the repetition separator; a letter is the 4010 standards id.
            self._issue(
                Severity.WARNING,
                "ISA11_STANDARDS",
                f"ISA11 {isa11!r} is a 4010 standards id, not a 5010 repetition separator",
                seg,
                "interchange",
                ta1="016",
            )
        if isa11 and isa11 == seg[16][:1]:
            # pyx12 reads this without complaint (it never uses ISA11), so it is no
            # error; a repetition separator equal to the component one is ambiguous
            self._issue(
                Severity.WARNING,
                "ISA11_SEPARATOR",
                f"ISA11 repetition separator {isa11!r} is also ISA16, the component separator",
                seg,
                "interchange",
            )
        if seg[13] in seen:
            self._issue(
                Severity.WARNING,
                "ISA13_DUPLICATE",
                f"ISA13 {seg[13]} is used by an earlier interchange of this file",
                seg,
                "interchange",
                ta1="025",
            )

    def on_gs(self, seg: Segment) -> None:
        if self.isa is None or self.isa.closed:
            self._issue(Severity.REJECT, "GS_OUTSIDE_ISA", "GS outside an interchange", seg, "file")
            return
        if self.gs is not None and not self.gs.closed:
            self._issue(
                Severity.REJECT,
                "GE_MISSING",
                f"group {self.gs.GS[6]} has no GE before this GS",
                seg,
                "group",
                ak9="3",
            )
        label = seg[8]
        self.isa.groups += 1
        self.gs = Group(len(self.groups) + 1, self.isa.index, seg)
        self.groups.append(self.gs)
        if not (seg[6].isdigit() and len(seg[6]) <= 9):
            self._issue(
                Severity.REJECT,
                "GS_CONTROL",
                f"invalid GS06 group control number (1-9 digits): {seg[6]!r}",
                seg,
                "group",
                ak9="6",  # group control number violates syntax
            )
        if seg[6] in self.isa.GS06s:
            # pyx12 (x12file): GS06 must be unique within the interchange; it rejects the
            # later group with AK905 6 (X12's own code for this is 19)
            self._issue(
                Severity.REJECT,
                "GS06_DUPLICATE",
                f"GS06 {seg[6]} is used by an earlier group of this interchange",
                seg,
                "group",
                ak9="6",
            )
        self.isa.GS06s.add(seg[6])
        if label.startswith("004") or (label[:6].isdigit() and not label.startswith("005010")):
            message = (
                f"GS08 {label}: not a 5010 version; edi837 reads only 005010X222 (837P) and "
                "005010X223 (837I)"
            )
            # FATAL, like ISA12: recorded so the 999 answers the group (AK905 2,
            # functional group version not supported); the exception carries the error.
            self._issue(Severity.FATAL, "GS_VERSION", message, seg, "group", ak9="2")
            raise UnsupportedVersionError(
                message,
                file=self.file,
                segment_ordinal=seg.ordinal,
                byte_offset=seg.offset,
                segment_id="GS",
            )

    def on_st(self, seg: Segment) -> Transaction:
        """Open a transaction set. One outside any functional group (GS missing, GE
        early) is still opened, in group 0, and rejected as a whole: its claims are
        answered (ENV001), never lost."""
        if self.st is not None and not self.st.closed:
            self._issue(
                Severity.REJECT,
                "SE_MISSING",
                f"transaction set {self.st.ST02} has no SE before this ST",
                seg,
                "transaction",
                ik5="2",
            )
        gs08 = ""
        if self.gs is not None:
            self.gs.transactions += 1
            gs08 = self.gs.GS[8]
        label = seg[3] or gs08
        form = form_for_version(label) or form_for_version(gs08) or ""
        self.st = Transaction(
            len(self.transactions) + 1,
            self.isa.index if self.isa else 0,
            self.gs.index if self.gs else 0,
            seg[1],
            seg[2],
            seg[3],
            form,
            Position(seg.ordinal, seg.offset, "ST"),
            segments=1,
        )
        self.transactions.append(self.st)
        if self.gs is not None:
            if seg[2] in self.gs.ST02s:
                # pyx12 (x12file): ST02 must be unique within the group (IK502 23)
                self._issue(
                    Severity.REJECT,
                    "ST02_DUPLICATE",
                    f"ST02 {seg[2]} is used by an earlier transaction set of this group",
                    seg,
                    "transaction",
                    ik5="23",
                )
            self.gs.ST02s.add(seg[2])
        if self.gs is None:
            self._issue(
                Severity.REJECT,
                "ST_OUTSIDE_GS",
                "ST outside a functional group (GS missing or GE early)",
                seg,
                "transaction",
                ik5="2",
                ta1=self._in_isa("022"),
            )
        elif seg[1] != "837":
            self._issue(
                Severity.REJECT,
                "ST_NOT_837",
                f"transaction set {seg[1]!r} is not an 837 claim",
                seg,
                "transaction",
                ik5="1",
            )
        elif not form:
            self._issue(
                Severity.REJECT,
                "VERSION_UNKNOWN",
                f"version {label!r} (ST03/GS08) is neither 837P 005010X222 nor 837I 005010X223",
                seg,
                "transaction",
                ik5="1",
            )
        elif seg[3] and gs08 and form_for_version(gs08) != form:
            self._issue(
                Severity.REJECT,
                "VERSION_MISMATCH",
                f"ST03 {seg[3]!r} does not match GS08 {gs08!r}",
                seg,
                "transaction",
                ik5="6",
                ik4=("3", "1705", "7", seg[3]),
            )
        else:
            note = version_note(label)
            if note:
                self._issue(Severity.WARNING, "ERRATA_LABEL", note, seg, "transaction")
        if not seg[2]:
            self._issue(
                Severity.REJECT,
                "ST02_MISSING",
                "ST02 control number is empty",
                seg,
                "transaction",
                ik5="7",
            )
        return self.st

    def on_se(self, seg: Segment) -> None:
        st = self.st
        if st is None or st.closed:
            self._issue(
                Severity.REJECT,
                "SE_UNEXPECTED",
                "SE without a matching ST",
                seg,
                "file",
                ta1=self._in_isa("022"),
            )
            return
        st.segments += 1
        if seg[2] != st.ST02:
            self._issue(
                Severity.REJECT,
                "SE_CONTROL",
                f"SE02 {seg[2]!r} does not match ST02 {st.ST02!r}",
                seg,
                "transaction",
                ik5="3",
            )
        if seg[1] != str(st.segments):
            self._issue(
                Severity.REJECT,
                "SE_COUNT",
                f"SE01 says {seg[1] or '(empty)'} segments, the set has {st.segments}",
                seg,
                "transaction",
                ik5="4",
            )
        if st.claims > MAX_CLAIMS_PER_ST:
            self._issue(
                Severity.WARNING,
                "ST_OVER_5000",
                f"transaction set {st.ST02} holds {st.claims} claims; the 837 guides "
                f"limit a transaction set to {MAX_CLAIMS_PER_ST}",
                seg,
                "transaction",
            )
        st.closed = True
        if self.gs is not None and not st.errors:
            self.gs.accepted += 1
        self.st = None

    def on_ge(self, seg: Segment) -> None:
        gs = self.gs
        if gs is None or gs.closed:
            self._issue(
                Severity.REJECT,
                "GE_UNEXPECTED",
                "GE without a matching GS",
                seg,
                "file",
                ta1=self._in_isa("022"),
            )
            return
        if self.st is not None and not self.st.closed:
            self._issue(
                Severity.REJECT,
                "SE_MISSING",
                f"transaction set {self.st.ST02} has no SE",
                seg,
                "transaction",
                ik5="2",
            )
            self.st = None
        gs.GE01 = seg[1]
        if seg[2] != gs.GS[6]:
            self._issue(
                Severity.REJECT,
                "GE_CONTROL",
                f"GE02 {seg[2]!r} does not match GS06 {gs.GS[6]!r}",
                seg,
                "group",
                ak9="4",
            )
        if seg[1] != str(gs.transactions):
            self._issue(
                Severity.REJECT,
                "GE_COUNT",
                f"GE01 says {seg[1] or '(empty)'} transaction sets, the group has "
                f"{gs.transactions}",
                seg,
                "group",
                ak9="5",
            )
        gs.closed = True
        self.gs = None

    def on_iea(self, seg: Segment) -> None:
        isa = self.isa
        if isa is None or isa.closed:
            self._issue(
                Severity.REJECT, "IEA_UNEXPECTED", "IEA without a matching ISA", seg, "file"
            )
            return
        if self.gs is not None and not self.gs.closed:
            self._issue(
                Severity.REJECT,
                "GE_MISSING",
                f"group {self.gs.GS[6]} has no GE",
                seg,
                "group",
                ak9="3",
            )
            self.gs = None
        if seg[2] != isa.ISA[13]:
            self._issue(
                Severity.REJECT,
                "IEA_CONTROL",
                f"IEA02 {seg[2]!r} does not match ISA13 {isa.ISA[13]!r}",
                seg,
                "interchange",
                ta1="001",
            )
        if seg[1] != str(isa.groups):
            self._issue(
                Severity.REJECT,
                "IEA_COUNT",
                f"IEA01 says {seg[1] or '(empty)'} groups, the interchange has {isa.groups}",
                seg,
                "interchange",
                ta1="021",
            )
        isa.closed = True

    def on_segment(self, seg: Segment) -> None:
        """Count a segment inside ST..SE (or flag one outside any transaction set)."""
        if self.st is None:
            self._issue(
                Severity.REJECT,
                "OUTSIDE_ST",
                f"segment {shown_segment_id(seg.id)} outside a transaction set",
                seg,
                "file",
                ta1=self._in_isa("024"),
            )
        else:
            self.st.segments += 1

    def finish(self, last: Segment | None) -> None:
        """At end of file: anything still open means the file was truncated."""
        if last is None:
            return
        if self.st is not None and not self.st.closed:
            self._issue(
                Severity.REJECT,
                "TRUNCATED",
                f"file ends inside transaction set {self.st.ST02} (no SE): truncated",
                last,
                "transaction",
                ik5="2",
            )
        if self.gs is not None and not self.gs.closed:
            self._issue(
                Severity.REJECT,
                "GE_MISSING",
                f"file ends inside group {self.gs.GS[6]} (no GE): truncated",
                last,
                "group",
                ak9="3",
            )
        if self.isa is not None and not self.isa.closed:
            self._issue(
                Severity.REJECT,
                "IEA_MISSING",
                f"file ends inside interchange {self.isa.ISA[13]} (no IEA): truncated",
                last,
                "interchange",
                ta1="023",
            )

    def on_unknown_segment(self, seg: Segment, position_in_set: int) -> None:
        """A segment id the 837 guides do not define, inside a transaction set."""
        shown = shown_segment_id(seg.id)  # never the text of a mis-separated segment
        valid_id = shown == seg.id
        self._issue(
            Severity.REJECT,
            "UNKNOWN_SEGMENT",
            f"segment id {shown} is not an 837 segment (garbage or wrong separator)",
            seg,
            "transaction",
            ik3=(seg.id[:3] if valid_id else "", position_in_set, "", "1" if valid_id else "2"),
            ik5="5",
        )

    def on_orphan(self, seg: Segment, what: str, position_in_set: int) -> None:
        """A segment out of its place in the 837 hierarchy (e.g. LX before any CLM)."""
        self._issue(
            Severity.REJECT,
            "SEGMENT_ORDER",
            what,
            seg,
            "transaction",
            ik3=(seg.id, position_in_set, "", "7"),
            ik5="5",
        )

    def on_bad_value(
        self,
        seg: Segment,
        position_in_set: int,
        element: int,
        reference: str,
        code: str,
        message: str,
    ) -> None:
        """An element whose value breaks its data element's format (999 IK4), e.g. a
        birth date that is not a date: the transaction set is rejected, as a 999 would."""
        value = seg[element]
        self._issue(
            Severity.REJECT,
            "BAD_VALUE",
            message,
            seg,
            "transaction",
            ik3=(seg.id, position_in_set, "", "8"),
            ik4=(str(element), reference, code, value),
            ik5="5",
        )
