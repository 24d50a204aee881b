"""STR005: CLM01 is present and the amounts are numbers."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import Claim
from edi837.rules.registry import rule
from edi837.rules.structure import TR3_CITE
from edi837.verdicts import Finding


@rule(
    "STR005",
    title="CLM01 present, amounts numeric",
    kind="structure",
    stc="A7:21",
    cite=f"{TR3_CITE}: CLM01, CLM02, SV1/SV2 amounts",
    fix="Fill in the claim id and amounts.",
)
def claim_id_amounts(claim: Claim) -> Iterator[Finding]:
    """Without a patient control number (CLM01) the 277CA cannot name the claim it
    answers; a charge (CLM02, SV102 / SV203) or unit count (SV104 / SV205) that is not
    a number cannot be summed, paid or counted against a limit. The reader keeps such an
    amount as 0 and notes it; this rule reports it (and the units rule SC011 says nothing
    about units that could not be read)."""
    if not claim.CLM01:
        yield claim_id_amounts.finding(
            "CLM01 (patient control number) is empty", segment=claim.position, loop="2300"
        )
    for problem in claim.problems:
        if problem.rule == "STR005":
            yield claim_id_amounts.finding(problem.message, segment=problem.where, loop="2300")
