"""Streaming X12 tokenizer: bytes in, positioned segments out.

Why our own and not pyx12's reader: pyx12 reads separators from fixed ISA columns, opens
files as strict ASCII and stops silently at an empty segment. Real senders pad the ISA
wrongly, prepend a UTF-8 BOM, wrap segments in CR/LF and concatenate interchanges with
different separators. This tokenizer:

* reads the file in fixed-size chunks (memory does not grow with the file);
* decodes bytes as Latin-1, so one character is one byte and every segment's byte offset
  is exact, and so writing a segment back (``str(segment)``) reproduces its bytes;
* finds the separators from each ISA by *counting* element separators (ISA16 is the
  character after the sixteenth), never by assuming the ISA is 106 characters;
* re-reads the separators at every new ISA, and only treats ``ISA`` as a new interchange
  at the start of a segment (a patient named ISAAC is just a name).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate, compress, repeat
from operator import add, is_, methodcaller, sub
from typing import BinaryIO

from edi837.errors import X12SyntaxError
from edi837.hashing import blake2b
from edi837.x12.separators import Separators

CHUNK_SIZE = 1 << 18  # 256 KiB: one batch of segments in memory at a time
ISA_LENGTH = 106
_BOM = "\xef\xbb\xbf"  # UTF-8 BOM as Latin-1 characters
_WS = " \t\r\n\x0b\x0c"
_PADDING = "\x1a\x00"  # Ctrl-Z (DOS end of file) and NUL, seen after the last IEA
_ISA_SCAN = 1024  # an ISA, however badly padded, ends well inside this many characters
MAX_SEGMENT = 16 << 20  # a segment longer than this is not X12
MAX_TRAILER = 64 << 10  # text after the last IEA up to this long may be a footer, not X12


class Segment:
    """One X12 segment: its elements, where it sits in the file, and its separators.

    ``elements[0]`` is the segment id; ``seg[1]`` is the first element (``""`` when the
    segment is shorter), so ``seg[9]`` of an ``NM1`` reads like ``NM109``.
    """

    __slots__ = ("elements", "ordinal", "offset", "separators")

    def __init__(
        self, elements: list[str], ordinal: int, offset: int, separators: Separators
    ) -> None:
        self.elements = elements
        self.ordinal = ordinal
        self.offset = offset
        self.separators = separators

    @property
    def id(self) -> str:
        return self.elements[0]

    def __getitem__(self, index: int) -> str:
        elements = self.elements
        return elements[index] if index < len(elements) else ""

    def __len__(self) -> int:
        return len(self.elements)

    def component(self, index: int, sub: int) -> str:
        """Component ``sub`` (1-based) of element ``index``: ``seg.component(1, 2)`` is SV101-2."""
        parts = self[index].split(self.separators.component)
        return parts[sub - 1] if sub <= len(parts) else ""

    def text(self) -> str:
        """The segment without its terminator, as the sender's separators spell it."""
        return self.separators.element.join(self.elements)

    def __str__(self) -> str:
        return self.text() + self.separators.segment

    def __repr__(self) -> str:
        return f"Segment({self.text()!r}, ordinal={self.ordinal}, offset={self.offset})"


@dataclass(slots=True)
class Batch:
    """Consecutive segments of one interchange: their text and byte offsets, in parallel.

    ``bodies`` are the segments without terminator or surrounding whitespace, *not yet
    split into elements*: splitting every segment of a file costs more than reading it,
    and a reader that skips most segments (a screening pass) need not pay for it.
    """

    separators: Separators
    first_ordinal: int  # ordinal of bodies[0]
    bodies: list[str]
    offsets: list[int]
    # indexes of bodies whose text had whitespace before its terminator (stripped here):
    # what ends a body is then not what ended the segment (``N3*ADDR* ~`` reads as
    # ``N3*ADDR*``), so a check of its last character must not trust it (TR3 SEG1)
    padded: frozenset[int] = frozenset()

    @property
    def elements(self) -> list[list[str]]:
        return [body.split(self.separators.element) for body in self.bodies]


_PLUS_ONE = (1).__add__
_LSTRIP = methodcaller("lstrip", _WS)
_RSTRIP = methodcaller("rstrip", _WS)
_HAS_LF = methodcaller("__contains__", "\n")
_HAS_CR = methodcaller("__contains__", "\r")


@dataclass(frozen=True, slots=True)
class ReadNote:
    """Something odd but readable about the input (reported, never a rejection)."""

    code: str
    message: str
    ordinal: int
    offset: int


def parse_isa(text: str, *, file: str, ordinal: int, offset: int) -> tuple[Separators, int]:
    """Find the separators of the ISA at the start of ``text``.

    Returns the separators and the ISA's length including its terminator (106 when the
    sender padded it as the standard says).
    ISA16 is located by counting sixteen element separators, so an ISA whose fixed-width
    fields were padded wrongly still reads; the segment terminator is the character
    right after ISA16.
    """
    if not text.startswith("ISA") or len(text) < 4:
        raise X12SyntaxError(
            "not an X12 interchange: expected 'ISA' here, found "
            f"{_printable(text[:20]) or 'end of file'}",
            file=file,
            segment_ordinal=ordinal,
            byte_offset=offset,
        )
    element = text[3]
    if element.isalnum() or element in _WS:
        raise X12SyntaxError(
            f"bad ISA: element separator {element!r} is a letter, digit or space",
            file=file,
            segment_ordinal=ordinal,
            byte_offset=offset,
            segment_id="ISA",
        )
    pos = 3  # the first of the sixteen element separators
    for _ in range(15):
        pos = text.find(element, pos + 1, _ISA_SCAN)
        if pos < 0:
            raise X12SyntaxError(
                "bad ISA: fewer than 16 element separators "
                f"{element!r} before the segment terminator (truncated or not an ISA)",
                file=file,
                segment_ordinal=ordinal,
                byte_offset=offset,
                segment_id="ISA",
            )
    if pos + 2 >= len(text):
        raise X12SyntaxError(
            "bad ISA: file ends inside the ISA header",
            file=file,
            segment_ordinal=ordinal,
            byte_offset=offset,
            segment_id="ISA",
        )
    component, terminator = text[pos + 1], text[pos + 2]
    if component.isalnum() or terminator.isalnum():
        # Counting ran past a short ISA into the next segment.
        raise X12SyntaxError(
            "bad ISA: fewer than 16 element separators before the segment terminator "
            f"(after the 16th {element!r} comes {component + terminator!r}, not a component "
            "separator and a segment terminator)",
            file=file,
            segment_ordinal=ordinal,
            byte_offset=offset,
            segment_id="ISA",
        )
    isa11 = text[:pos].split(element)[11] if text.count(element, 0, pos) >= 11 else ""
    # In 5010 ISA11 is the repetition separator; in 4010 it is the standards id "U".
    repetition = isa11 if len(isa11) == 1 and not isa11.isalnum() else "^"
    if repetition in (element, component, terminator):
        repetition = next(c for c in "^!|`" if c not in (element, component, terminator))
    try:
        separators = Separators(element, repetition, component, terminator)
    except ValueError as exc:
        raise X12SyntaxError(
            f"bad ISA: unusable separators ({exc})",
            file=file,
            segment_ordinal=ordinal,
            byte_offset=offset,
            segment_id="ISA",
        ) from None
    return separators, pos + 3


def _starts_interchange(text: str) -> bool:
    """Does ``text`` start with an ISA segment (ISA and then a separator: a patient named
    ISAAC is no interchange)?"""
    return text.startswith("ISA") and len(text) > 3 and not text[3].isalnum()


def _is_trailer(text: str, element: str) -> bool:
    """Is ``text`` (everything after a complete interchange) something other than X12,
    e.g. a mail footer or a transfer log line appended to the file? Only when short and
    free of element separators (the last interchange's and the common ``*``): anything
    that could be a damaged interchange holding claims stops reading instead, so no
    claim is dropped without an error."""
    return len(text) <= MAX_TRAILER and element not in text and "*" not in text


def _printable(text: str) -> str:
    shown = "".join(c if 32 <= ord(c) < 127 else "." for c in text)
    return repr(shown) if shown else ""


class SegmentReader:
    """Iterate the segments of one X12 file, streaming.

    Odd-but-readable conditions (BOM, ISA padding, stray empty segments, wrapped lines)
    are collected in ``notes``; anything that stops reading raises ``X12SyntaxError``.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        name: str,
        chunk_size: int = CHUNK_SIZE,
        on_note: Callable[[ReadNote], None] | None = None,
    ) -> None:
        self.stream = stream
        self.name = name
        self.chunk_size = chunk_size
        self.notes: list[ReadNote] = []
        self._on_note = on_note or self.notes.append
        self.bytes_read = 0
        self.segments_read = 0
        self._digest = blake2b(digest_size=16)
        # What follows the first ISA's terminator: CR LF, LF or nothing. Writers that
        # copy the input (splits) end their segments the same way.
        self.line_ending: str | None = None

    @property
    def content_hash(self) -> str:
        """Hash of the bytes read so far (the whole file once iteration ends): the file's
        identity in the history store, whatever its name."""
        return self._digest.hexdigest()

    def _note(self, code: str, message: str, ordinal: int, offset: int) -> None:
        self._on_note(ReadNote(code, message, ordinal, offset))

    def _read(self) -> str:
        data = self.stream.read(self.chunk_size)
        self.bytes_read += len(data)
        self._digest.update(data)
        return data.decode("latin-1")

    def __iter__(self) -> Iterator[Segment]:
        """Segments one by one (convenient; ``batches`` is the fast path)."""
        for batch in self.batches():
            sep = batch.separators
            ordinal = batch.first_ordinal
            element = sep.element
            for body, offset in zip(batch.bodies, batch.offsets, strict=True):
                yield Segment(body.split(element), ordinal, offset, sep)
                ordinal += 1

    def batches(self) -> Iterator[Batch]:
        """Segments a chunk at a time, as parallel lists (elements, byte offsets).

        The per-segment work (strip, offsets, split) is done with ``map`` over whole
        chunks so it runs at C speed; the claim builder loops over the lists.
        """
        name = self.name
        buf = self._read()
        eof = not buf
        while len(buf) < len(_BOM) and not eof:
            more = self._read()
            eof = not more
            buf += more
        base = 0  # byte offset of buf[0]
        if buf.startswith(_BOM):
            self._note("BOM", "file starts with a UTF-8 byte-order mark (skipped)", 0, 0)
            buf, base = buf[3:], 3
        ordinal = 0
        element = "*"  # the last interchange's element separator
        self._wrapped_noted = False
        while True:
            # Between interchanges: skip whitespace, expect an ISA or the end of file.
            while True:
                stripped = buf.lstrip(_WS)
                if ordinal and stripped.startswith(_BOM):  # concatenated files
                    self._note(
                        "BOM",
                        "byte-order mark before a later interchange (skipped)",
                        ordinal,
                        base + len(buf) - len(stripped),
                    )
                    stripped = stripped[3:].lstrip(_WS)
                if ordinal and stripped and not stripped.strip(_WS + _PADDING):
                    # DOS end-of-file marks or NUL padding after an IEA: not data.
                    self._note(
                        "TRAILING_PADDING",
                        f"{len(stripped)} padding byte(s) (NUL / Ctrl-Z) after interchange ignored",
                        ordinal,
                        base + len(buf) - len(stripped),
                    )
                    base += len(buf)
                    buf = stripped = ""
                base += len(buf) - len(stripped)
                buf = stripped
                if buf or eof:
                    break
                more = self._read()
                eof = not more
                buf += more
            if not buf:
                if ordinal == 0:
                    raise X12SyntaxError(
                        "empty file: no ISA interchange header", file=name, byte_offset=base
                    )
                self.segments_read = ordinal
                return
            while len(buf) < _ISA_SCAN and not eof:
                more = self._read()
                eof = not more
                buf += more
            if ordinal and not _starts_interchange(buf):
                while len(buf) <= MAX_TRAILER and not eof:
                    more = self._read()
                    eof = not more
                    buf += more
                if eof and _is_trailer(buf, element):
                    self._note(
                        "TRAILING_TEXT",
                        f"{len(buf)} byte(s) after the last IEA are not X12 (no element "
                        "separator in them): not read",
                        ordinal + 1,
                        base,
                    )
                    self.segments_read = ordinal
                    return
            if "\x00" in buf[:_ISA_SCAN] and not buf.startswith("ISA"):
                raise X12SyntaxError(
                    _binary_reason(buf),
                    file=name,
                    segment_ordinal=ordinal + 1,
                    byte_offset=base,
                )
            if ordinal and not _starts_interchange(buf):
                # Segments after a complete interchange that start no new one (a stray
                # STC, a GS..GE whose ISA was lost): read with the last interchange's
                # separators up to the next ISA, so the envelope reports each where it
                # is and the claims already read are still answered (pyx12 reads them
                # too). ``sep`` is the last interchange's.
                stop = "ISA"
            else:
                sep, isa_len = parse_isa(buf, file=name, ordinal=ordinal + 1, offset=base)
                if isa_len != ISA_LENGTH:
                    self._note(
                        "ISA_PADDING",
                        f"ISA is {isa_len} characters, not {ISA_LENGTH}; separators found "
                        "by counting element separators",
                        ordinal + 1,
                        base,
                    )
                term, element = sep.segment, sep.element
                if self.line_ending is None:
                    self.line_ending = _after_terminator(buf, isa_len, term)
                stop = "IEA"
            # Tokenize chunk by chunk until IEA (then re-read separators) or EOF; stray
            # segments until the next ISA.
            while True:
                end = buf.rfind(term)
                if end < 0 and not eof:
                    if len(buf) > MAX_SEGMENT:
                        raise X12SyntaxError(
                            f"no segment terminator {term!r} in {MAX_SEGMENT} bytes "
                            "(binary data or wrong terminator in ISA16's next byte)",
                            file=name,
                            segment_ordinal=ordinal + 1,
                            byte_offset=base,
                        )
                    more = self._read()
                    eof = not more
                    buf += more
                    continue
                complete = buf[: end + 1] if end >= 0 else ""
                tail = buf[end + 1 :] if end >= 0 else buf
                batch, consumed, ended = self._split(complete, sep, base, ordinal, stop)
                if batch.bodies:
                    ordinal += len(batch.bodies)
                    yield batch
                if ended:  # IEA (or ISA): the rest may be an interchange, other separators
                    buf = complete[consumed:] + tail
                    base += consumed
                    self.segments_read = ordinal
                    break
                base += len(complete)
                buf = tail
                if stop == "ISA":  # the next interchange may use other separators
                    while len(buf.lstrip(_WS)) < 4 and not eof:  # enough to tell an ISA
                        more = self._read()
                        eof = not more
                        buf += more
                    if _starts_interchange(buf.lstrip(_WS)):
                        self.segments_read = ordinal
                        break
                if eof:
                    self.segments_read = ordinal
                    rest = buf.strip(_WS)
                    if rest:
                        # Text after the last terminator: a final segment without one.
                        offset = base + (len(buf) - len(buf.lstrip(_WS)))
                        ordinal += 1
                        self._note(
                            "NO_TERMINATOR",
                            f"last segment has no terminator {term!r}",
                            ordinal,
                            offset,
                        )
                        yield Batch(sep, ordinal, [rest], [offset], frozenset({0}))
                        self.segments_read = ordinal
                    return
                more = self._read()
                eof = not more
                buf += more

    def _split(
        self, complete: str, sep: Separators, base: int, ordinal: int, stop: str = "IEA"
    ) -> tuple[Batch, int, bool]:
        """Split text ending in a terminator into a batch; stop after an IEA (or, with
        ``stop="ISA"``, before the ISA that starts the next interchange).

        Returns the batch, how many characters of ``complete`` it used, and whether it
        stopped there.
        """
        term = sep.segment
        pieces = complete.split(term)
        pieces.pop()  # the empty string after the last terminator
        ended = False
        if stop == "ISA":
            for i, piece in enumerate(pieces):
                if _starts_interchange(piece.lstrip(_WS)):
                    del pieces[i:]
                    ended = True
                    break
        elif "IEA" in complete:
            iea = sep.element.join(("IEA", ""))
            for i, piece in enumerate(pieces):
                body = piece.lstrip(_WS)
                if body.startswith(iea) or body == "IEA":
                    del pieces[i + 1 :]
                    ended = True
                    break
        lens = list(map(len, pieces))
        starts = list(accumulate(map(_PLUS_ONE, lens), initial=0))
        consumed = starts.pop()
        bodies = list(map(_LSTRIP, pieces))
        offsets = list(map(add, starts, map(sub, lens, map(len, bodies))))
        if base:
            offsets = list(map(add, offsets, repeat(base)))
        unstripped = bodies
        bodies = list(map(_RSTRIP, bodies))
        if "" in bodies:
            keep = [bool(b) for b in bodies]
            unstripped = list(compress(unstripped, keep))
            for i, b in enumerate(bodies):
                if not b and (pieces[i] or term not in "\r\n"):
                    self._note(
                        "EMPTY_SEGMENT",
                        f"empty segment (two terminators {term!r} in a row) skipped",
                        ordinal + sum(keep[:i]),
                        base + starts[i],
                    )
            bodies = list(compress(bodies, keep))
            offsets = list(compress(offsets, keep))
        padded: frozenset[int] = frozenset()
        if not all(map(is_, bodies, unstripped)):  # rstrip returns the same str if no-op
            padded = frozenset(i for i, b in enumerate(bodies) if b is not unstripped[i])
        if (
            term not in "\r\n"
            and _line_breaks_inside(complete, term)
            and (any(map(_HAS_LF, bodies)) or any(map(_HAS_CR, bodies)))
        ):
            bodies = [b.replace("\r", "").replace("\n", "") for b in bodies]
            if not self._wrapped_noted:
                self._wrapped_noted = True
                self._note(
                    "WRAPPED",
                    "line breaks inside segments (wrapped file) removed",
                    ordinal + 1,
                    offsets[0] if offsets else base,
                )
        return Batch(sep, ordinal + 1, bodies, offsets, padded), consumed, ended


def _after_terminator(buf: str, isa_len: int, term: str) -> str:
    """The line break after an ISA's terminator (none when the terminator is itself a
    line break)."""
    if term in "\r\n":
        return ""
    after = buf[isa_len : isa_len + 2]
    return "\r\n" if after.startswith("\r\n") else "\n" if after.startswith("\n") else ""


def _line_breaks_inside(text: str, term: str) -> bool:
    """Could a CR or LF sit inside a segment (not right after a terminator)? Counting is
    far cheaper than scanning every segment, and almost always answers no."""
    lf, cr = text.count("\n"), text.count("\r")
    crlf_after = text.count(term + "\r\n")
    return lf != text.count(term + "\n") + crlf_after or cr != text.count(term + "\r")


def read_segments(path: str | os.PathLike[str]) -> Iterator[Segment]:
    """Every segment of a file, opened and closed here (a convenience for tools/tests)."""
    from edi837.sources import open_source

    with open_source(path) as stream:
        yield from SegmentReader(stream, name=os.fspath(path))


_UTF16_ISA = ("I\x00S\x00A\x00", "\x00I\x00S\x00A")  # "ISA" in UTF-16 LE / BE, Latin-1 read


def _binary_reason(buf: str) -> str:
    """Why a file with NUL bytes before its ISA is refused: UTF-16 text (a "Unicode"
    save from a Windows editor, ISA spelled with a NUL after or before each letter) is
    named as such, since the fix is to save it as ASCII; anything else is binary."""
    text = buf[2:] if buf[:2] in ("\xff\xfe", "\xfe\xff") else buf
    if text.startswith(_UTF16_ISA):
        return (
            "UTF-16 text, not an X12 interchange: X12 is one byte per character "
            "(save the file as ASCII or UTF-8)"
        )
    return "binary data, not an X12 interchange"
