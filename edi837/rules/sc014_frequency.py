"""SC014: replacements (7) and voids (8) find the claim they change."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.digest import Digest
from edi837.rules.registry import rule
from edi837.timeline import Service
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


def withdrawal(claim: Digest, removed: list[Service]) -> Finding:
    """The finding on a void or replacement (``claim``): what it withdrew, else that
    its original was not found. The judge decides what is withdrawn; this says so."""
    kind = "void" if claim.frequency == "8" else "replacement"
    ref = claim.REF_F8 or claim.CLM01
    if removed:
        lines = ", ".join(f"{s.procedure} {s.service_date}" for s in removed)
        return frequency.finding(
            f"{kind} of claim {removed[0].claim_id}: its S-code line(s) {lines} no longer "
            "count toward the frequency limits",
            severity=Severity.INFO,
            segment=claim.position,
            loop="2300",
            value=ref,
            fix="",
        )
    return frequency.finding(
        f"{kind} (CLM05-3 {claim.frequency}) names original {ref!r}, which edi837 has not "
        "accepted in this run or its history; nothing was withdrawn",
        segment=claim.position,
        loop="2300",
        value=ref,
    )
