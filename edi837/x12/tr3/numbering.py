"""HL and LX numbering: the TR3 rules pyx12 checks outside its map walk (``x12file``).

The 837 TR3s say HL01 "must begin with 1 and be incremented by one each time an HL is
used in the transaction", HL02 is the HL01 of the parent level, and LX01 "begins with 1
and is incremented by one for each additional service line of a claim". pyx12 rejects a
set whose HLs break this (``My HL count ...``, ``HL parent ... is not a valid parent``)
and flags an LX01 out of order; the map cannot say it, so the walk does not see it.

An error is answered as an element error of the segment (999 IK304 8, IK4 on HL01, HL02
or LX01 with IK403 I12, the value fails the guide's rule), the HL's rejecting the set
and the LX's its claim, as any TR3 error at that place does.
"""

from __future__ import annotations

from edi837.x12.tr3.elements import ElementError

PATTERN_FAILURE = "I12"  # IK403: implementation pattern match failure
_HL_LOOPS = {"20": "2000A", "22": "2000B", "23": "2000C"}


def _number(value: str) -> int | None:
    """The value as a count, or None when it is no short ASCII number (a 5,000-digit or
    a non-ASCII digit LX01 is no count, and ``int`` would refuse or fail on it)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


class Numbering:
    """HL and LX counters of one transaction set (``begin_set`` at each ST)."""

    def __init__(self) -> None:
        self.begin_set()

    def begin_set(self) -> None:
        self._hl = 0
        self._parents: list[int | None] = []  # HL01 of the open levels, outermost first
        self._lx: int | None = None  # None until the set's first CLM

    def clm(self) -> None:
        self._lx = 0

    def hl(self, el: list[str]) -> tuple[str, list[ElementError]]:
        """(loop id, errors) of one HL segment (``el`` split at the element separator)."""
        hl01 = el[1] if len(el) > 1 else ""
        hl02 = el[2] if len(el) > 2 else ""
        loop = _HL_LOOPS.get(el[3] if len(el) > 3 else "", "")
        self._hl += 1
        errors = []
        own = _number(hl01)
        if hl01 and own != self._hl:  # an empty HL01 is the map's (required) error
            what = f"not the next hierarchical id (expected {self._hl})"
            errors.append(ElementError(1, 0, "HL01", "628", PATTERN_FAILURE, hl01, what))
        parents = self._parents
        if hl02:
            parent = _number(hl02)
            if parent is not None and parent in parents:
                del parents[len(parents) - parents[::-1].index(parent) :]
            else:
                what = "not the id of an enclosing HL (parent)"
                errors.append(ElementError(2, 0, "HL02", "734", PATTERN_FAILURE, hl02, what))
        else:
            parents.clear()  # a top level (2000A) starts a new hierarchy
        parents.append(own)
        return loop, errors

    def lx(self, el: list[str]) -> list[ElementError]:
        """Errors of one LX segment (none before the set's first CLM: that LX is an
        orphan, the walk's error)."""
        if self._lx is None:
            return []
        self._lx += 1
        lx01 = el[1] if len(el) > 1 else ""
        if not lx01 or _number(lx01) == self._lx:
            return []
        what = f"not the next service line number of the claim (expected {self._lx})"
        return [ElementError(1, 0, "LX01", "554", PATTERN_FAILURE, lx01, what)]
