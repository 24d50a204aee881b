"""Text fit for an error line: no PHI echoed, no control characters, bounded length.

Error lines go to logs that are kept, mailed and pasted into tickets, so a message
never repeats what a segment holds when the segment could carry a member's data, never
lets a file name's newline or escape sequence forge a second line, and never grows
with the input (a 1 MB segment must not become a 1 MB line).
"""

from __future__ import annotations

import re

UNREADABLE_ID = "(unreadable segment id)"
PHI_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "REF"})
"""Segments whose element values (names, addresses, birth dates, ids) stay off stderr."""
MAX_LINE = 300
"""Longest stderr line edi837 writes, in characters."""

_SEGMENT_ID = re.compile(r"[A-Z0-9]{2,3}")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def shown_segment_id(segment_id: str) -> str:
    """The segment id if it looks like one (2-3 of A-Z/0-9), else a placeholder: a
    segment written with the wrong element separator would otherwise show whole."""
    return segment_id if _SEGMENT_ID.fullmatch(segment_id) else UNREADABLE_ID


def escape(text: str) -> str:
    """Printable ASCII stays; anything else (newline, ESC, NUL, non-ASCII) is escaped."""
    if text.isascii() and text.isprintable():
        return text
    out = []
    for c in text:
        if c.isascii() and c.isprintable():
            out.append(c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x100:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
    return "".join(out)


def without_values(message: str) -> str:
    """``message`` with its quoted values blanked: for messages about PHI segments."""
    return _QUOTED.sub("'...'", message)


def bounded(line: str, limit: int = MAX_LINE) -> str:
    """One printable line of at most ``limit`` characters."""
    line = escape(line)
    return line if len(line) <= limit else line[: limit - 3] + "..."
