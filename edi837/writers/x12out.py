"""What the 277CA, 999 and split writers share: segments out, envelopes, atomic files.

* ``SegmentWriter`` spells segments with one interchange's separators and counts them;
  ``Spool`` is the same over a temporary file (for loops whose header needs totals that
  are only known once the loop's children are written), copied in with ``absorb``.
* ``EnvelopeWriter`` adds ISA/GS/ST and computes SE01, GE01 and IEA01 itself, so a
  writer never counts by hand. The ISA is always fixed width (106 characters with its
  terminator): pyx12 and many real readers find the separators by column.
* Control numbers are derived from one integer the caller chooses (``nth_control``),
  never from the clock, so the same input and options give the same bytes.
* ``atomic_open`` is ``edi837.atomic.atomic_open`` with X12's Latin-1: a crash leaves the
  old file or no file, never half of a new one, and a device or FIFO is never renamed over.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TextIO

from edi837.atomic import atomic_open as _atomic_open
from edi837.runtmp import run_dir
from edi837.x12.separators import DEFAULT, Separators

ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
"""Fixed widths of ISA01..ISA16."""

MAX_CONTROL = 999_999_999
_COPY_CHUNK = 1 << 20
_SPOOL_MEMORY = 4 << 20  # a spool stays in memory up to this many characters


def d8(value: date) -> str:
    """CCYYMMDD."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def amount(value: Decimal) -> str:
    """An X12 R (decimal) value: no exponent, no trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def nth_control(base: int, k: int) -> int:
    """The ``k``-th (0-based) control number counting from ``base``, wrapping at 9 digits."""
    check_control(base)
    return (base - 1 + k) % MAX_CONTROL + 1


def check_control(number: int) -> int:
    if not 1 <= number <= MAX_CONTROL:
        raise ValueError(f"control number must be 1..{MAX_CONTROL}, got {number}")
    return number


def st02(number: int) -> str:
    """ST02/SE02: at least four digits (data element 329 is AN 4-9)."""
    return f"{number:04d}"


def free_text(value: str, separators: Separators, limit: int = 264) -> str:
    """Free-form text fit for an element: no separators, printable ASCII, ``limit`` long."""
    banned = {separators.element, separators.component, separators.repetition, separators.segment}
    chars = [c if " " <= c <= "~" and c not in banned else " " for c in value]
    return " ".join("".join(chars).split())[:limit].rstrip()


def trim(elements: Sequence[str]) -> list[str]:
    """Drop empty trailing elements (X12 forbids trailing element separators)."""
    items = list(elements)
    while len(items) > 1 and items[-1] == "":
        items.pop()
    return items


class SegmentWriter:
    """Writes segments to a text stream with one set of separators, counting them."""

    def __init__(
        self, out: TextIO, separators: Separators = DEFAULT, line_ending: str = ""
    ) -> None:
        if line_ending not in ("", "\n", "\r\n"):
            raise ValueError(f"line ending must be '', '\\n' or '\\r\\n', not {line_ending!r}")
        self.out = out
        self.separators = separators
        self.line_ending = "" if separators.segment in line_ending else line_ending
        self.end = separators.segment + self.line_ending
        self.count = 0

    def put(self, *elements: str) -> None:
        """Write one segment from its id and elements (trailing empties dropped)."""
        self.out.write(self.separators.element.join(trim(elements)) + self.end)
        self.count += 1

    def put_at(self, segment_id: str, values: dict[int, str]) -> None:
        """Write a sparse segment from {element position: value}: ``{1: "85", 9: npi}``."""
        elements = [""] * max(values)
        for position, value in values.items():
            elements[position - 1] = value
        self.put(segment_id, *elements)

    def put_text(self, text: str) -> None:
        """Write one segment given as text without its terminator (e.g. ``seg.text()``)."""
        self.out.write(text + self.end)
        self.count += 1

    def composite(self, *parts: str) -> str:
        """A composite element from its components (trailing empties dropped)."""
        return self.separators.component.join(trim(parts))

    def absorb(self, spool: Spool) -> None:
        """Copy a spool's segments here (and count them), then empty the spool."""
        spool.copy_to(self.out)
        self.count += spool.count
        spool.reset()


class Spool(SegmentWriter):
    """A ``SegmentWriter`` over a temporary file (memory first, disk when it grows)."""

    def __init__(self, separators: Separators = DEFAULT, line_ending: str = "") -> None:
        buffer = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by close()
            max_size=_SPOOL_MEMORY, mode="w+", encoding="utf-8", newline="", dir=run_dir()
        )
        super().__init__(buffer, separators, line_ending)  # type: ignore[arg-type]

    def copy_to(self, out: TextIO) -> None:
        self.out.seek(0)
        while chunk := self.out.read(_COPY_CHUNK):
            out.write(chunk)

    def reset(self) -> None:
        self.out.seek(0)
        self.out.truncate()
        self.count = 0

    def close(self) -> None:
        self.out.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def isa_elements(
    *,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    date_: date,
    time_: str,
    separators: Separators = DEFAULT,
    usage: str = "P",
    qualifier: str = "ZZ",
    ack_requested: str = "0",
) -> list[str]:
    """ISA01..ISA16 for an interchange we originate (no authorization/security info)."""
    fields = [
        "00",
        "",
        "00",
        "",
        qualifier,
        sender_id,
        qualifier,
        receiver_id,
        d8(date_)[2:],
        time_,
        separators.repetition,
        "00501",
        f"{check_control(control_number):09d}",
        ack_requested,
        usage,
        separators.component,
    ]
    return pad_isa(fields, separators)


def pad_isa(
    fields: Sequence[str],
    separators: Separators,
    control_number: int | None = None,
    *,
    keep_wide: bool = False,
) -> list[str]:
    """ISA01..ISA16 padded to their fixed widths, ISA11/ISA16 set from ``separators``.

    ``fields`` may come from a received ISA (badly padded or not); ``control_number``
    replaces ISA13 when given. A value wider than its field raises ValueError, or with
    ``keep_wide`` is kept as received: a copy of a received interchange (the split
    files) carries whatever ISA the reader accepted rather than failing on it.
    """
    values = [*list(fields)[:16], *[""] * (16 - len(fields))]
    values[10] = separators.repetition
    values[15] = separators.component
    if control_number is not None:
        values[12] = f"{check_control(control_number):09d}"
    out = []
    for i, (value, width) in enumerate(zip(values, ISA_WIDTHS, strict=True)):
        value = value.strip() if i not in (1, 3) else value.rstrip()
        if len(value) > width:
            if keep_wide:
                out.append(value)
                continue
            raise ValueError(f"ISA{i + 1:02d} {value[:20]!r} is longer than {width} characters")
        out.append(value.zfill(width) if i == 12 else value.ljust(width))
    return out


class EnvelopeWriter(SegmentWriter):
    """A ``SegmentWriter`` that opens and closes ISA/GS/ST and computes the trailers."""

    def __init__(
        self, out: TextIO, separators: Separators = DEFAULT, line_ending: str = ""
    ) -> None:
        super().__init__(out, separators, line_ending)
        self.isa13 = self.gs06 = self.st02 = ""
        self.groups = self.sets = 0
        self._st_start = 0
        self.in_interchange = self.in_group = self.in_set = False

    def begin_interchange(self, isa: Sequence[str]) -> None:
        """Write an ISA from ISA01..ISA16 (see ``isa_elements`` / ``pad_isa``)."""
        self.isa13 = isa[12]
        self.groups = 0
        self.put("ISA", *isa[:15], self.separators.component)
        self.in_interchange = True

    def begin_group(self, gs: Sequence[str]) -> None:
        """Write a GS from GS01..GS08."""
        self.gs06 = gs[5]
        self.sets = 0
        self.groups += 1
        self.put("GS", *gs)
        self.in_group = True

    def begin_set(self, st01: str, control: str, st03: str = "") -> None:
        self.st02 = control
        self.sets += 1
        self._st_start = self.count
        self.put("ST", st01, control, st03)
        self.in_set = True

    def end_set(self) -> None:
        self.put("SE", str(self.count - self._st_start + 1), self.st02)
        self.in_set = False

    def end_group(self) -> None:
        self.put("GE", str(self.sets), self.gs06)
        self.in_group = False

    def end_interchange(self) -> None:
        self.put("IEA", str(self.groups), self.isa13)
        self.in_interchange = False

    def close_all(self) -> None:
        """Close whatever is open (set, group, interchange), innermost first."""
        if self.in_set:
            self.end_set()
        if self.in_group:
            self.end_group()
        if self.in_interchange:
            self.end_interchange()


def gs_elements(
    functional_id: str,
    sender: str,
    receiver: str,
    date_: date,
    time_: str,
    control: int,
    version: str,
) -> list[str]:
    """GS01..GS08 for a group we originate."""
    return [
        functional_id,
        sender,
        receiver,
        d8(date_),
        time_,
        str(check_control(control)),
        "X",
        version,
    ]


def atomic_open(
    path: str | os.PathLike[str], *, encoding: str = "latin-1", newline: str = ""
) -> contextlib.AbstractContextManager[TextIO]:
    """``edi837.atomic.atomic_open`` with the X12 defaults: Latin-1 and no newline
    translation write every character of an X12 segment back as the byte it was read
    from (kept here for the writers and branches that import it from this module)."""
    return _atomic_open(path, encoding=encoding, newline=newline)  # type: ignore[return-value]


def open_acknowledgment(
    out: TextIO,
    *,
    functional_id: str,
    version: str,
    sender_id: str,
    receiver_id: str,
    control_number: int,
    date_: date,
    time_: str,
    separators: Separators,
    usage: str,
    line_ending: str,
) -> EnvelopeWriter:
    """An EnvelopeWriter with the ISA and GS of an acknowledgment we send (277CA, 999)
    already open; ISA13 and GS06 are ``control_number``."""
    w = EnvelopeWriter(out, separators, line_ending)
    w.begin_interchange(
        isa_elements(
            sender_id=sender_id,
            receiver_id=receiver_id,
            control_number=control_number,
            date_=date_,
            time_=time_,
            separators=separators,
            usage=usage,
        )
    )
    w.begin_group(
        gs_elements(functional_id, sender_id, receiver_id, date_, time_, control_number, version)
    )
    return w
