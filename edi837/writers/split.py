"""Split an 837 into an accepted and a rejected 837, claim segments untouched.

A second streaming pass over the original file (``SegmentReader``): every claim (CLM up to
the next HL, CLM or SE) goes, byte for byte, to the side its verdict names. Each side is
a valid 837 of its own:

* each input ISA/GS/ST is repeated on a side only when one of its claims goes there (no
  empty transaction set, group or interchange), with new control numbers counted from
  the caller's ``control_number`` and trailers (SE01, GE01, IEA01) recounted;
* the transaction set's header (BHT, 1000A, 1000B) and the claim's parent HL loops
  (2000A billing provider, 2000B subscriber, 2000C patient, with all their segments) are
  written before the first claim under them, HL ids renumbered 1..n per set with HL02
  pointing at the renumbered parent;
* HL04 (child code) of a 2000B is 1 only when a 2000C follows under it on that side. It
  is not known when the 2000B is written, so a side holds a 2000B's segments back until
  either a 2000C arrives (HL04 1) or the subscriber's loop ends (HL04 0). That hold is
  bounded by one subscriber's own claims (the TR3s allow 100 per HL).

The input's separators are kept (they travel with each segment); the line ending after
each terminator is the input's (CR LF, LF or none), detected from the ISA.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from edi837.errors import X12SyntaxError
from edi837.verdicts import ACCEPTED, REJECTED
from edi837.writers.x12out import EnvelopeWriter, nth_control, pad_isa, st02
from edi837.x12.separators import Separators
from edi837.x12.tokenizer import Segment, SegmentReader, parse_isa

_HEAD = 4096
_BOM = "\xef\xbb\xbf"


@dataclass
class SplitSummary:
    """What a split wrote: claims per side, and claims the verdicts did not cover."""

    accepted: int = 0
    rejected: int = 0
    accepted_sets: int = 0  # transaction sets written on each side
    rejected_sets: int = 0
    unmatched: list[int] = field(default_factory=list)  # CLM ordinals without a verdict
    missing: list[int] = field(default_factory=list)  # verdict ordinals not found as a CLM
    unwritten: list[int] = field(default_factory=list)  # CLMs outside any ISA/GS/ST


class _Side:
    """One output (accepted or rejected): its envelopes, HL renumbering and 2000B hold."""

    def __init__(
        self, out: TextIO | None, control_number: int | Callable[[], int], line_ending: str
    ) -> None:
        self.out = out
        # An int: ISA13 counts up from it; a callable: each interchange draws a fresh
        # number from the run's counter (so splits never collide with other outputs).
        self.draw = control_number if callable(control_number) else None
        self.base = 0 if callable(control_number) else control_number
        self.line_ending = line_ending
        self.w: EnvelopeWriter | None = None
        self.isa_key = self.gs_key = self.st_key = 0  # input indexes written, 0 = none
        self.interchanges = self.groups = self.sets = 0
        self.claims = 0
        self.hl_ids: dict[int, int] = {}  # input HL ordinal -> HL01 written
        self.held: list[str] | None = None  # a 2000B's segments while its HL04 is unknown

    # -- envelopes -------------------------------------------------------------------
    def ensure(
        self,
        isa: Segment,
        gs: Segment,
        st: Segment,
        keys: tuple[int, int, int],
        header: list[Segment],
    ) -> None:
        """Open the input's interchange, group and set on this side if not yet open."""
        if self.isa_key != keys[0]:
            self.close_interchange()
            self.w = EnvelopeWriter(self.out, isa.separators, self.line_ending)  # type: ignore[arg-type]
            if self.draw is not None:
                self.base = self.draw()
                control = self.base
            else:
                control = nth_control(self.base, self.interchanges)
            self.w.begin_interchange(
                pad_isa(isa.elements[1:17], isa.separators, control, keep_wide=True)
            )
            self.isa_key, self.interchanges = keys[0], self.interchanges + 1
        if self.gs_key != keys[1]:
            self.close_group()
            fields = [*gs.elements[1:9], *[""] * (9 - len(gs.elements))]
            fields[5] = str(nth_control(self.base, self.groups))
            self.w.begin_group(fields)  # type: ignore[union-attr]
            self.gs_key, self.groups = keys[1], self.groups + 1
        if self.st_key != keys[2]:
            self.close_set()
            self.w.begin_set(st[1], st02(nth_control(self.base, self.sets)), st[3])  # type: ignore[union-attr]
            self.st_key, self.sets = keys[2], self.sets + 1
            self.hl_ids = {}
            for seg in header:
                self.put(seg.text())

    def close_set(self) -> None:
        self.release("0")
        if self.w is not None and self.w.in_set:
            self.w.end_set()
        self.st_key = 0

    def close_group(self) -> None:
        self.close_set()
        if self.w is not None and self.w.in_group:
            self.w.end_group()
        self.gs_key = 0

    def close_interchange(self) -> None:
        self.close_group()
        if self.w is not None and self.w.in_interchange:
            self.w.end_interchange()
        self.isa_key = 0

    # -- segments --------------------------------------------------------------------
    def put(self, text: str) -> None:
        if self.held is not None:
            self.held.append(text)
        else:
            self.w.put_text(text)  # type: ignore[union-attr]

    def release(self, child_code: str) -> None:
        """Write a held 2000B, its HL04 now known, and what followed it."""
        held, self.held = self.held, None
        if not held:
            return
        held[0] += child_code
        for text in held:
            self.w.put_text(text)  # type: ignore[union-attr]

    def hl(self, block: list[Segment], parent: list[Segment] | None) -> None:
        """Write one parent HL loop (2000A, 2000B or 2000C) renumbered, unless written."""
        head = block[0]
        if head.ordinal in self.hl_ids:
            return
        level = head[3]
        # A 2000C proves the held 2000B has a child; a new 2000A or 2000B ends it.
        self.release("1" if level == "23" else "0")
        number = len(self.hl_ids) + 1
        self.hl_ids[head.ordinal] = number
        up = str(self.hl_ids.get(parent[0].ordinal, "")) if parent else ""
        text = head.separators.element.join(("HL", str(number), up, level, ""))
        if level == "22":
            self.held = [text]  # HL04 appended on release
        else:
            self.put(text + ("1" if level == "20" else "0"))
        for seg in block[1:]:
            self.put(seg.text())


def write_split(
    source: str | Path | BinaryIO,
    verdicts_by_ordinal: Mapping[int, str],
    accepted_out: TextIO | None,
    rejected_out: TextIO | None,
    *,
    control_number: int | Callable[[], int],
    rejected_control_number: int | Callable[[], int] | None = None,
    line_ending: str | None = None,
    name: str | None = None,
) -> SplitSummary:
    """Write the claims of ``source`` to ``accepted_out`` / ``rejected_out`` by verdict.

    ``verdicts_by_ordinal`` maps each claim's CLM segment ordinal to ``"accepted"`` or
    ``"rejected"``; a claim with no entry goes to the rejected side and is listed in
    ``unmatched`` (nothing is ever dropped). A side given as None is not written.
    Control numbers on each side count from ``control_number`` (the rejected side from
    ``rejected_control_number`` when given); given as callables, each output interchange
    draws its ISA13 from them instead. ``line_ending`` None copies the input's.
    Open the outputs with Latin-1 and ``newline=""`` (see ``x12out.atomic_open``) for
    the claim segments to come out as the very bytes that went in.
    """
    label = name or (str(source) if isinstance(source, str | Path) else "<stream>")
    with contextlib.ExitStack() as stack:
        if isinstance(source, str | Path):
            from edi837.sources import open_source

            stream: BinaryIO = stack.enter_context(open_source(source))
            if line_ending is None:
                line_ending = _line_ending(stream.read(_HEAD).decode("latin-1"))
                stream.seek(0)
        else:
            stream = source
        return _split(
            stream,
            label,
            verdicts_by_ordinal,
            accepted_out,
            rejected_out,
            control_number,
            rejected_control_number,
            line_ending or "",
        )


def _split(
    stream: BinaryIO,
    label: str,
    verdicts: Mapping[int, str],
    accepted_out: TextIO | None,
    rejected_out: TextIO | None,
    control_number: int | Callable[[], int],
    rejected_control_number: int | Callable[[], int] | None,
    line_ending: str,
) -> SplitSummary:
    splitter = Splitter(
        accepted_out, rejected_out, control_number, rejected_control_number, line_ending
    )
    seen: set[int] = set()
    summary = splitter.summary
    for seg in SegmentReader(stream, name=label):
        status = None
        if seg.elements[0] == "CLM" and splitter.st is not None:
            status = verdicts.get(seg.ordinal)
            if status is None:
                summary.unmatched.append(seg.ordinal)
            else:
                seen.add(seg.ordinal)
        splitter.feed(seg, status)
    splitter.close()
    if len(seen) != len(verdicts):
        summary.missing = sorted(set(verdicts) - seen)
    return summary


class Splitter:
    """The split as a push writer: ``feed`` every segment in file order, each CLM with
    its claim's status (``accepted``; anything else goes to the rejected side), then
    ``close``. The answer pass feeds the segments outside claims as they are read and
    each claim's own segments (``Claim.raw``) with its verdict."""

    def __init__(
        self,
        accepted_out: TextIO | None,
        rejected_out: TextIO | None,
        control_number: int | Callable[[], int],
        rejected_control_number: int | Callable[[], int] | None = None,
        line_ending: str = "",
    ) -> None:
        self.sides = {
            ACCEPTED: _Side(accepted_out, control_number, line_ending),
            REJECTED: _Side(rejected_out, rejected_control_number or control_number, line_ending),
        }
        self.summary = SplitSummary()
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: Segment | None = None
        self.keys = [0, 0, 0]  # 1-based indexes of the current input ISA, GS, ST
        self.header: list[Segment] = []
        self.blocks: dict[str, list[Segment] | None] = {"20": None, "22": None, "23": None}
        self.current: list[Segment] | None = None  # non-claim segments: header or HL block
        self.claim_side: _Side | None = None  # where the current claim's segments go

    def _close(self, level: str) -> None:
        for side in self.sides.values():
            if side.out is not None:
                getattr(side, f"close_{level}")()

    def claim(self, status: str, raw: list[tuple[str, int, int]], separators: Separators) -> None:
        """One claim's own segments (CLM first), all to the side ``status`` names."""
        element = separators.element
        for text, ordinal, offset in raw:
            self.feed(Segment(text.split(element), ordinal, offset, separators), status)

    def feed(self, seg: Segment, status: str | None = None) -> None:  # noqa: C901
        sid = seg.elements[0]
        summary = self.summary
        if sid == "CLM":
            if self.st is None:
                return  # outside any ST..SE: not a claim the reader answers (file error)
            status = ACCEPTED if status == ACCEPTED else REJECTED
            side = self.sides[status]
            setattr(summary, status, getattr(summary, status) + 1)
            self.current = self.claim_side = None
            if side.out is None:
                return
            if self.isa is None:
                summary.unwritten.append(seg.ordinal)  # no envelope to copy it into
                return
            if self.gs is None:  # GS missing, or a new ISA inside the set: a GS from the ISA
                self.gs, self.keys[1] = _group_for(self.isa, self.st), self.keys[1] + 1
            self.claim_side = side
            keys = self.keys
            side.ensure(self.isa, self.gs, self.st, (keys[0], keys[1], keys[2]), self.header)
            a, b, c = self.blocks["20"], self.blocks["22"], self.blocks["23"]
            for block, parent in ((a, None), (b, a), (c, b)):
                if block:
                    side.hl(block, parent)
            side.put(seg.text())
        elif sid == "HL":
            self.claim_side = None
            level = seg[3]
            if level in ("20", "22"):
                for side in self.sides.values():
                    side.release("0")  # the held subscriber (if any) has ended
            if level in self.blocks:
                self.blocks[level] = self.current = [seg]
                for lower in {"20": ("22", "23"), "22": ("23",)}.get(level, ()):
                    self.blocks[lower] = None
            else:
                self.current = None  # an HL level the 837 does not define: not copied
        elif sid == "ISA":
            self._close("interchange")
            self.isa, self.keys = seg, [self.keys[0] + 1, self.keys[1], self.keys[2]]
            self.gs = self.current = self.claim_side = None  # an open ST stays open
        elif sid == "GS":
            self._close("group")
            self.gs, self.keys[1] = seg, self.keys[1] + 1
            self.current = self.claim_side = None
        elif sid == "ST":
            self._close("set")
            self.st, self.keys[2] = seg, self.keys[2] + 1
            self.header = self.current = []
            self.blocks = {"20": None, "22": None, "23": None}
            self.claim_side = None
        elif sid in ("SE", "GE", "IEA"):
            self._close({"SE": "set", "GE": "group", "IEA": "interchange"}[sid])
            if sid == "SE":
                self.st = self.current = self.claim_side = None
        elif self.claim_side is not None:
            self.claim_side.put(seg.text())
        elif self.current is not None:
            self.current.append(seg)

    def close(self) -> SplitSummary:
        """Close every open envelope on both sides; returns the summary."""
        self._close("interchange")
        self.summary.accepted_sets = self.sides[ACCEPTED].sets
        self.summary.rejected_sets = self.sides[REJECTED].sets
        return self.summary


def _group_for(isa: Segment, st: Segment) -> Segment:
    """A GS for a transaction set received outside any group, from its interchange."""
    date6 = isa[9].strip()
    elements = [
        "GS",
        "HC",
        isa[6].strip(),
        isa[8].strip(),
        f"20{date6}"[:8],
        isa[10].strip(),
        "1",
        "X",
        st[3] or "005010X222A1",
    ]
    return Segment(elements, st.ordinal, st.offset, isa.separators)


def _line_ending(head: str) -> str:
    """CR LF, LF or nothing: what follows the first ISA's segment terminator."""
    text = head.removeprefix(_BOM).lstrip(" \t\r\n")
    try:
        separators, length = parse_isa(text, file="", ordinal=1, offset=0)
    except X12SyntaxError:
        return ""
    if separators.segment in "\r\n":
        return ""
    after = text[length : length + 2]
    return "\r\n" if after.startswith("\r\n") else "\n" if after.startswith("\n") else ""
