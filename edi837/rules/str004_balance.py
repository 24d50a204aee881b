"""STR004: CLM02 equals the sum of the line charges."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from edi837.claim.model import Claim
from edi837.rules.registry import rule
from edi837.rules.structure import TR3_CITE
from edi837.verdicts import Finding


@rule(
    "STR004",
    title="CLM02 equals the sum of the line charges",
    kind="structure",
    stc="A8:400",  # relational: CLM02 against the line charges; claim out of balance
    cite=f"{TR3_CITE}: CLM02 must balance to the sum of SV102/SV203",
    fix="Recompute CLM02 as the sum of the line charges.",
)
def balance(claim: Claim) -> Iterator[Finding]:
    """The TR3 requires the claim's total charge (CLM02) to balance to its line charges
    (SV102 / SV203); a claim that does not was altered or built wrong, and the expected
    reimbursement could not be trusted. Not checked when an amount could not be read
    (STR005 names it: a sum over it is moot) or the claim has no lines (STR001)."""
    if not claim.lines:
        return
    for problem in claim.problems:
        if problem.rule == "STR005":
            return
    total = Decimal(0)
    for line in claim.lines:
        total += line.charge
    if claim.total_charge != total:
        yield balance.finding(
            f"CLM02 total charge {claim.total_charge} does not equal "
            f"the sum of line charges {total}",
            segment=claim.position,
            loop="2300",
        )
