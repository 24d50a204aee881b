"""The checks pyx12's reader (``x12file.X12Reader``) makes outside its map walk.

The map cannot say them, so the walk does not see them, but pyx12 rejects the set for
each (its ``x12n_document`` is False, its 999 ``IK5*R*5``):

- **HL1** HL01 is not the set's HL count (1, 2, 3 ... from ST; compared as integers,
  so ``02`` is 2), **HL2** a non-empty HL02 is not the count of an HL still open above
  this one (pyx12 keeps a stack of its own counts, popped back to the parent);
- **LX** LX01 is not the count of LX since the last CLM, compared as *text* (``01`` is
  not ``1``); the count is reset by CLM only, as pyx12's is. 837P only: pyx12 turns the
  check on for the map whose id is ``837``, and its 837I map's is ``837Q3``;
- **SEG1** the segment ends in an element separator (``DMG*D8*19970724*F*~``), **EMPTY**
  it has no value at all (``PER***~``, ``LX~``): IK304 8 in pyx12's 999.

pyx12's 999 has no IK3 for HL1/HL2/LX (only its IK5 says a segment is in error); ours
names the segment, IK304 8, with an IK4 on HL01 (628), HL02 (734) or LX01 (554) and
IK403 ``I12`` (the value fails the guide's numbering rule). SEG1 and EMPTY get an IK3 8
without an IK4, as pyx12 writes them. ST and SE are not checked for SEG1/EMPTY: pyx12
drops an ST's (no segment node to hold it) and moves an SE's onto the segment before.

All of it is O(1) per segment; the only state is the HL stack of one set.
"""

from __future__ import annotations

from edi837.x12.tr3.elements import ElementError

PATTERN_FAILURE = "I12"  # IK403: implementation pattern match failure


def _int(value: str | None) -> int | None:
    """pyx12's ``X12Base._int``: Python's own ``int`` (spaces, signs and ``_`` allowed)."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None


class ReadChecks:
    """HL and LX counters across a file (``begin_set`` at each ST), as pyx12 keeps them."""

    def __init__(self) -> None:
        self._hl = 0
        self._stack: list[int] = []  # the counts of the HLs open above, outermost first
        self._lx = 0  # LX since the last CLM (pyx12 does not reset it at ST)

    def begin_set(self) -> None:
        self._hl = 0
        self._stack = []

    def clm(self) -> None:
        self._lx = 0

    def hl(self, el: list[str]) -> list[tuple[str, ElementError]]:
        """(kind, error) for one HL segment (``el`` split at the element separator)."""
        self._hl += 1
        count = self._hl
        found: list[tuple[str, ElementError]] = []
        hl01 = el[1] if len(el) > 1 else None
        if _int(hl01) != count:
            what = f"HL01 is not the next hierarchical id of the set (expected {count})"
            found.append(
                ("HL1", ElementError(1, 0, "HL01", "628", PATTERN_FAILURE, hl01 or "", what))
            )
        hl02 = el[2] if len(el) > 2 else None
        if hl02 != "":
            parent = _int(hl02)
            stack = self._stack
            if parent not in stack:
                what = "HL02 is not the id of an enclosing HL (its parent)"
                found.append(
                    ("HL2", ElementError(2, 0, "HL02", "734", PATTERN_FAILURE, hl02 or "", what))
                )
            while stack and stack[-1] != parent:
                stack.pop()
        self._stack.append(count)
        return found

    def lx(self, el: list[str]) -> ElementError | None:
        """The error of one LX segment, if its LX01 is not the claim's next line number."""
        self._lx += 1
        lx01 = el[1] if len(el) > 1 else None
        if lx01 == str(self._lx):
            return None
        what = f"LX01 is not the claim's next service line number (expected {self._lx})"
        return ElementError(1, 0, "LX01", "554", PATTERN_FAILURE, lx01 or "", what)


def shape_errors(sid: str, body: str, ele: str, comp: str) -> list[str]:
    """SEG1 (ends in an element separator) and EMPTY (no value at all) of one body; the
    caller asks only when its last character is a separator or it has no elements."""
    found = []
    if body[-1] == ele and len(body) > len(sid):
        found.append("SEG1")
    if not body[len(sid) :].strip(ele + comp):
        found.append("EMPTY")
    return found
