"""STR005: CLM01 is present and the amounts are numbers."""

from __future__ import annotations

from collections.abc import Iterator

from edi837.claim.model import Claim
from edi837.rules.registry import rule
from edi837.rules.structure import TR3_CITE
from edi837.verdicts import Finding

# Which 277CA answer an unreadable amount gets, by the element it sits in.
_BRANCH_OF_ELEMENT = {
    "SV102": "line_charge",
    "SV203": "line_charge",
    "SV104": "units",
    "SV205": "units",
}


@rule(
    "STR005",
    title="CLM01 present, amounts numeric",
    kind="structure",
    stc="A7:178",  # submitted charges (CLM02)
    branches={
        "claim_id": "A6:478",  # claim submitter's identifier (CLM01) missing
        "line_charge": "A7:583",  # line item charge amount (SV102 / SV203)
        "units": "A7:476",  # missing or invalid units of service (SV104 / SV205)
    },
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
            "CLM01 (patient control number) is empty",
            segment=claim.position,
            loop="2300",
            branch="claim_id",
        )
    for problem in claim.problems:
        if problem.rule == "STR005":
            yield claim_id_amounts.finding(
                problem.message,
                segment=problem.where,
                loop="2300",
                branch=_BRANCH_OF_ELEMENT.get(problem.element, ""),
            )
