"""``SyntaxIssue``: an envelope or syntax problem with the coordinates a 999 or TA1 needs,
and ``--envelope lenient``'s relaxing of the count and control-number ones."""

from __future__ import annotations

from dataclasses import dataclass

from edi837.verdicts import Severity
from edi837.x12.position import Position

_LABELS = {Severity.REJECT: "error", Severity.WARNING: "warning", Severity.FATAL: "fatal"}


@dataclass(slots=True)
class SyntaxIssue:
    """An envelope or syntax problem, with what a 999 needs to report it.

    ``severity`` is ``Severity.REJECT`` (an error: the scope's claims are rejected and
    the run exits 2), ``Severity.WARNING`` (reported, nothing rejected) or
    ``Severity.FATAL`` (the file could not be read past it; kept so that a TA1 can still
    answer the interchange). The same enum as a finding's, so ``--envelope lenient``
    turning an error into a warning is the same move as ``--warn`` on a rule; people and
    the 999 read ``label`` (error, warning, fatal).
    """

    severity: Severity
    code: str
    message: str
    position: Position
    scope: str  # "file", "interchange", "group", "transaction", "claim"; "outside" (no ISA)
    interchange: int = 0  # 1-based indexes within the file; 0 = not applicable
    group: int = 0
    transaction: int = 0
    ik3: tuple[str, int, str, str] | None = None  # (segment id, position in set, loop, IK304)
    ik4: tuple[str, str, str, str] | None = None  # (position, element ref, IK403, bad value)
    ik5: str = ""  # IK502 code for the transaction set
    ak9: str = ""  # AK905 code for the group
    ta1: str = ""  # TA105 note code, for an error in the interchange envelope
    relaxed: bool = False  # an error --envelope lenient turned into a warning
    claim: int = -1  # scope "claim": the claim's index in the file (TR3 errors in 2300..)
    context: str = ""  # scope "claim": CLM01, for the 999's CTX*CLM01:<id>

    @property
    def label(self) -> str:
        """What the 999's world calls the severity: ``error``, ``warning`` or ``fatal``."""
        return _LABELS[self.severity]

    def rejects(self, interchange: int, group: int, transaction: int) -> bool:
        """True when this error covers a claim in the given envelope."""
        if self.severity is not Severity.REJECT or self.scope in ("claim", "outside"):
            # a claim-scope error rejects only its claim (IK5*E for the set); one outside
            # every interchange rejects none (the file is still in error: exit 2)
            return False
        if self.scope == "file":
            return True
        if self.scope == "interchange":
            return interchange == self.interchange
        if self.scope == "group":
            return group == self.group
        return transaction == self.transaction


# Envelope errors ``--envelope lenient`` turns into warnings: counts, control numbers and
# version labels in the trailers and headers; the claims are then judged on their merits.
LENIENT_CODES = frozenset(
    {
        "SE_COUNT",
        "SE_CONTROL",
        "GE_COUNT",
        "GE_CONTROL",
        "IEA_COUNT",
        "IEA_CONTROL",
        "VERSION_MISMATCH",
        "GS06_DUPLICATE",
        "ST02_DUPLICATE",
    }
)


def relax(issues: list[SyntaxIssue]) -> int:
    """``--envelope lenient``: the count, control-number and label mismatches become
    warnings marked ``relaxed`` (the 999 and TA1 still report them, as accepted with
    errors); returns how many were relaxed."""
    n = 0
    for issue in issues:
        if issue.severity is Severity.REJECT and issue.code in LENIENT_CODES:
            issue.severity, issue.relaxed = Severity.WARNING, True
            n += 1
    return n
