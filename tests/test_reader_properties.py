"""Property tests of the streaming tokenizer (``SegmentReader``).

Hypothesis writes X12 streams segment by segment, remembering for each segment its
elements and the byte offset of its id; the reader must give back exactly those
segments, ordinals 1..N, and offsets that point at the id in the raw bytes, whatever the
separators (any distinct punctuation or control characters, newline, CR or ``'`` as
terminator), line endings (none, LF, CRLF), BOM, indentation and read chunk size (down to
one byte, so every chunk boundary is crossed). Interchanges with different separators
follow each other in one stream, and each is read with its own.
"""

from __future__ import annotations

import io
import string
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from edi837.x12.separators import Separators
from edi837.x12.tokenizer import ISA_LENGTH, SegmentReader

pytestmark = pytest.mark.slow  # see README: pytest -m "not slow"

BOM = b"\xef\xbb\xbf"
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
CONTROL = "\x1c\x1d\x1e\x1f"  # the "information separators" some senders use
TERMINATORS = "~'\n\r!|" + "\x1c"
VALUE_CHARS = string.ascii_uppercase + string.digits + "ÉÑÜ"  # Latin-1, one byte each
SEGMENT_IDS = ["NM1", "REF", "CLM", "LX", "SV1", "SV2", "DTP", "HL", "N3", "N4", "HI", "ZZ"]
PROPERTIES = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@st.composite
def separators(draw) -> Separators:
    segment = draw(st.sampled_from(TERMINATORS))
    pool = [c for c in PUNCTUATION + CONTROL if c != segment]
    element, repetition, component = draw(st.permutations(pool))[:3]
    return Separators(element, repetition, component, segment)


def line_endings(seps: Separators) -> st.SearchStrategy[str]:
    """What may follow a terminator: never the terminator itself."""
    return st.sampled_from([e for e in ("", "\n", "\r\n") if seps.segment not in e])


values = st.one_of(
    st.just(""),
    st.text(VALUE_CHARS, min_size=1, max_size=8),
    st.builds(lambda a, b: f"{a} {b}", st.text(VALUE_CHARS, min_size=1, max_size=5),
              st.text(VALUE_CHARS, min_size=1, max_size=5)),  # an inner blank, kept
)  # fmt: skip


@st.composite
def body_segment(draw, seps: Separators) -> list[str]:
    """A segment: an id and elements, some composite or repeated, none ending in blanks."""
    elements = [draw(st.sampled_from(SEGMENT_IDS))]
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            parts = draw(st.lists(st.text(VALUE_CHARS, min_size=1, max_size=5), min_size=2,
                                  max_size=4))  # fmt: skip
            elements.append(seps.component.join(parts))
        elif kind == 1:
            parts = draw(st.lists(st.text(VALUE_CHARS, min_size=1, max_size=5), min_size=2,
                                  max_size=3))  # fmt: skip
            elements.append(seps.repetition.join(parts))
        else:
            elements.append(draw(values))
    if draw(st.booleans()):
        elements[1:2] = ["IL", "1", "ISAAC", "ISA"]  # a patient named ISAAC
    while elements[-1] == "" and len(elements) > 2:  # X12 writes no trailing separators
        elements.pop()
    return elements


def isa_elements(seps: Separators, control: int) -> list[str]:
    return ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ",
            "RECEIVER".ljust(15), "261102", "1200", seps.repetition, "00501",
            f"{control:09d}", "0", "T", seps.component]  # fmt: skip


@dataclass
class Written:
    """A stream as written, and what the reader must give back for it."""

    raw: bytearray = field(default_factory=bytearray)
    segments: list[tuple[list[str], int, Separators]] = field(default_factory=list)

    def add(self, elements: list[str], seps: Separators, indent: str, ending: str) -> None:
        self.raw += indent.encode("latin-1")
        self.segments.append((elements, len(self.raw), seps))
        self.raw += (seps.element.join(elements) + seps.segment + ending).encode("latin-1")


@st.composite
def interchange(draw, control: int, seps: Separators | None = None) -> tuple:
    seps = seps or draw(separators())
    ending = draw(line_endings(seps))
    indents = st.sampled_from(["", "", "  ", "\t", " \t "])
    body = draw(st.lists(body_segment(seps), min_size=1, max_size=12))
    return seps, ending, indents, body, control


def write(draw, interchanges: list[tuple], bom: bool) -> Written:
    out = Written()
    if bom:
        out.raw += BOM
    for seps, ending, indents, body, control in interchanges:
        isa = isa_elements(seps, control)
        assert len(seps.element.join(isa)) + 1 == ISA_LENGTH
        out.add(isa, seps, draw(indents), ending)
        out.add(["GS", "HC", "S", "R", "20261102", "1200", str(control), "X", "005010X222A1"],
                seps, draw(indents), ending)  # fmt: skip
        for elements in body:
            out.add(elements, seps, draw(indents), ending)
        out.add(["GE", "1", str(control)], seps, draw(indents), ending)
        out.add(["IEA", "1", f"{control:09d}"], seps, draw(indents), ending)
    return out


def read(raw: bytes, chunk_size: int) -> tuple[list, SegmentReader]:
    reader = SegmentReader(io.BytesIO(raw), name="prop.837", chunk_size=chunk_size)
    return list(reader), reader


def assert_read_back(written: Written, chunk_size: int) -> None:
    raw = bytes(written.raw)
    segments, reader = read(raw, chunk_size)
    got = [(s.elements, s.ordinal, s.offset, s.separators) for s in segments]
    want = [(e, n, off, seps) for n, (e, off, seps) in enumerate(written.segments, 1)]
    assert got == want
    for seg in segments:
        text = seg.text().encode("latin-1")
        assert raw[seg.offset : seg.offset + len(text)] == text  # the offset is the id's
        assert str(seg) == seg.text() + seg.separators.segment
    assert reader.segments_read == len(want)
    assert {n.code for n in reader.notes} <= {"BOM"}


@PROPERTIES
@given(data=st.data(), bom=st.booleans(), chunk_size=st.sampled_from([1, 2, 3, 5, 17, 64, 4096]))
def test_segments_read_back_as_written(data, bom, chunk_size):
    written = write(data.draw, [data.draw(interchange(1))], bom)
    assert_read_back(written, chunk_size)


@PROPERTIES
@given(data=st.data(), count=st.integers(2, 4), chunk_size=st.sampled_from([1, 7, 100, 4096]))
def test_each_interchange_read_with_its_own_separators(data, count, chunk_size):
    exchanges = [data.draw(interchange(n)) for n in range(1, count + 1)]
    assume(len({x[0] for x in exchanges}) > 1)  # at least two different separator sets
    written = write(data.draw, exchanges, bom=data.draw(st.booleans()))
    assert_read_back(written, chunk_size)
    segments, _ = read(bytes(written.raw), chunk_size)
    assert [s.separators for s in segments if s.id == "ISA"] == [x[0] for x in exchanges]


@PROPERTIES
@given(data=st.data(), chunk_size=st.sampled_from([1, 4, 64, 4096]))
def test_isaac_never_starts_an_interchange(data, chunk_size):
    """ISAAC (and ISA as a first name, and ids starting ISA) inside segments, wherever a
    chunk boundary falls: one interchange, and no segment but the first is an ISA."""
    seps, ending, indents, body, control = data.draw(interchange(1))
    nm1 = ["NM1", "IL", "1", "ISAAC", "ISA", "", "", "", "MI", "ISA000001"]
    body = [nm1, *body, ["CLM", "ISAAC1", "300"], ["REF", "ISA", "ISAAC"]]
    written = write(data.draw, [(seps, ending, indents, body, control)], bom=False)
    assert_read_back(written, chunk_size)
    segments, _ = read(bytes(written.raw), chunk_size)
    assert [s.ordinal for s in segments if s.id == "ISA"] == [1]
    assert sum(1 for s in segments if "ISAAC" in s.elements) == 2 + sum(
        1 for e in body[1:-2] if "ISAAC" in e
    )


@PROPERTIES
@given(data=st.data(), width=st.integers(20, 90), brk=st.sampled_from(["\n", "\r\n"]),
       chunk_size=st.sampled_from([1, 13, 4096]))  # fmt: skip
def test_wrapped_lines_are_joined(data, width, brk, chunk_size):
    """Files wrapped at a fixed width (line breaks inside segments, after the ISA) read
    as if unwrapped; each offset points at the first character of its segment's id."""
    seps = data.draw(separators().filter(lambda s: s.segment not in "\r\n"))
    exchange = data.draw(interchange(1, seps))
    written = write(data.draw, [(seps, "", *exchange[2:])], bom=False)
    raw = bytes(written.raw)
    start = written.segments[1][1]  # wrap from the GS on
    wrapped = raw[:start] + brk.encode().join(
        raw[i : i + width] for i in range(start, len(raw), width)
    )

    def moved(offset: int) -> int:
        return offset if offset < start else offset + len(brk) * ((offset - start) // width)

    segments, reader = read(wrapped, chunk_size)
    assert [s.elements for s in segments] == [e for e, _, _ in written.segments]
    assert [s.offset for s in segments] == [moved(off) for _, off, _ in written.segments]
    assert all(wrapped[s.offset] == ord(s.id[0]) for s in segments)
    breaks = range(start + width, len(raw), width)  # original positions breaks precede
    inside = any(off < b < off + len(seps.element.join(e))
                 for b in breaks for e, off, _ in written.segments)  # fmt: skip
    assert ("WRAPPED" in {n.code for n in reader.notes}) == inside
