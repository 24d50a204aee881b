"""SC014: replacements (7) and voids (8) find the claim they change."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.rules.registry import rule
from edi837.verdicts import Finding, Severity

CITE = "DOMAIN.md section 4 (claim frequency CLM05-3: 7 replacement, 8 void; REF*F8)"


@rule(
    "SC014",
    title="Replacement/void matches an original",
    kind="frequency",
    stc="A7:21",
    detail="A7:464",  # payer assigned claim control number (REF*F8)
    cite=CITE,
    severity=Severity.WARNING,
    fix="Send the original claim's number in REF*F8 (or keep its CLM01) so the "
    "replacement or void can be applied.",
)
def frequency(*_: object) -> Iterator[Finding]:
    """A void withdraws the original's S-code lines from the counts (it bills nothing
    and is not screened by SC001-SC013); a replacement's lines replace the original's.
    The original is found by REF*F8 or by CLM01. When none is known the claim is still
    answered (a warning, not a rejection: the original may predate edi837's history)."""
    return iter(())
